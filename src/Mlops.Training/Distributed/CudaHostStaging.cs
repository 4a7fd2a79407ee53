using Mlops.Distributed.Collectives;
using static TorchSharp.torch;

namespace Mlops.Training.Distributed;

/// <summary>
/// Small host values (step statistics, error flags and messages) through NCCL, which only reduces device memory: they
/// are written into a reused host tensor, copied to a reused device tensor, reduced there, and copied back. Both
/// tensors grow when a larger span comes and are otherwise reused, so a step allocates nothing here.
/// </summary>
internal sealed unsafe class CudaHostStaging : IDisposable
{
    private readonly ICollectiveCommunicator _communicator;
    private readonly Device _device;
    private Tensor _host;
    private Tensor _onDevice;
    private int _capacity;

    public CudaHostStaging(ICollectiveCommunicator communicator, Device device, int capacity = 512)
    {
        _communicator = communicator;
        _device = device;
        (_host, _onDevice) = Allocate(capacity);
        _capacity = capacity;
    }

    /// <summary>Reduces <paramref name="values"/> across ranks in place.</summary>
    public void AllReduce(Span<double> values, ReduceOp op, CancellationToken cancellationToken)
    {
        var pointer = Stage(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        _communicator.AllReduce(pointer, pointer, values.Length, CollectiveDataType.Float64, op, cancellationToken);
        Unstage(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    /// <summary>Copies the root's <paramref name="values"/> to every rank.</summary>
    public void Broadcast(Span<long> values, int root, CancellationToken cancellationToken)
    {
        var pointer = Stage(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        _communicator.Broadcast(pointer, values.Length, CollectiveDataType.Int64, root, cancellationToken);
        Unstage(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    public void Dispose()
    {
        _host.Dispose();
        _onDevice.Dispose();
    }

    private nint Stage(ReadOnlySpan<byte> bytes)
    {
        var elements = bytes.Length / sizeof(double);
        if (elements > _capacity)
        {
            Dispose();
            _capacity = Math.Max(elements, _capacity * 2);
            (_host, _onDevice) = Allocate(_capacity);
        }

        bytes.CopyTo(new Span<byte>((void*)TensorMemory.DataPointer(_host), bytes.Length));

        // The whole (small) buffer is copied: no narrowed views to allocate. A blocking copy on the default stream, which
        // the collective is enqueued on too, so NCCL sees the values.
        CopyInto(_onDevice, _host);
        return TensorMemory.DataPointer(_onDevice);
    }

    private void Unstage(Span<byte> bytes)
    {
        CopyInto(_host, _onDevice);
        new ReadOnlySpan<byte>((void*)TensorMemory.DataPointer(_host), bytes.Length).CopyTo(bytes);
    }

    private static void CopyInto(Tensor target, Tensor source)
    {
        var result = target.copy_(source);
        if (!ReferenceEquals(result, target))
        {
            result.Dispose();
        }
    }

    private (Tensor Host, Tensor OnDevice) Allocate(int capacity)
    {
        var host = empty(capacity, ScalarType.Float64, CPU).DetachFromDisposeScope();
        var onDevice = empty(capacity, ScalarType.Float64, _device).DetachFromDisposeScope();
        return (host, onDevice);
    }
}
