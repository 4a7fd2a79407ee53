using System.Runtime.InteropServices;
using Mlops.Distributed.Collectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Distributed;

/// <summary>
/// The memory behind a tensor, for collectives that work on raw pointers. TorchSharp 0.107 has no public
/// <c>Tensor.data_ptr()</c> (only <c>Storage.data_ptr()</c>, which allocates a storage object per call and points at the
/// storage's start, not the tensor's offset), so the bridge's own export <c>THSTensor_data</c> (libtorch's
/// <c>Tensor::data_ptr()</c>: the first element, on the tensor's device) is called directly: no allocation, no copy.
/// </summary>
internal static unsafe class TensorMemory
{
    private static readonly Lock Gate = new();
    private static delegate* unmanaged<nint, nint> _dataPointer;

    /// <summary>The address of the tensor's first element (a device pointer for CUDA tensors).</summary>
    public static nint DataPointer(Tensor tensor)
    {
        var function = _dataPointer;
        if (function == null)
        {
            function = Resolve();
        }

        return function(tensor.Handle);
    }

    /// <summary>The collective element type of a tensor's dtype, or null when collectives cannot reduce it.</summary>
    public static CollectiveDataType? DataTypeOf(ScalarType type) => type switch
    {
        ScalarType.Float32 => CollectiveDataType.Float32,
        ScalarType.Float64 => CollectiveDataType.Float64,
        ScalarType.Int32 => CollectiveDataType.Int32,
        ScalarType.Int64 => CollectiveDataType.Int64,
        _ => null,
    };

    private static delegate* unmanaged<nint, nint> Resolve()
    {
        lock (Gate)
        {
            if (_dataPointer != null)
            {
                return _dataPointer;
            }

            // The same resolution TorchSharp's own [DllImport("LibTorchSharp")] uses, so it is the library already loaded.
            if (!NativeLibrary.TryLoad("LibTorchSharp", typeof(torch).Assembly, null, out var library))
            {
                var path = new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") }
                    .Select(folder => Path.Combine(folder, "libLibTorchSharp.so"))
                    .FirstOrDefault(File.Exists)
                    ?? throw new DllNotFoundException($"TorchSharp's native bridge libLibTorchSharp.so was not found next to the application ({AppContext.BaseDirectory}).");
                library = NativeLibrary.Load(path);
            }

            _dataPointer = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(library, "THSTensor_data");
            return _dataPointer;
        }
    }
}
