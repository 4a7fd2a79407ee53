using System.Runtime.InteropServices;
using TorchSharp;

namespace Mlops.Training.Runtime;

/// <summary>
/// Loads TorchSharp's native bridge and libtorch before TorchSharp does, so that a failure is reported with its real
/// cause (a missing libtorch package, a libstdc++ that is too old, a wrong folder) instead of TorchSharp's own message,
/// and without TorchSharp's fallback that copies the native libraries elsewhere. Call <see cref="EnsureInitialized"/>
/// (the trainer does) before the first tensor is made.
/// </summary>
public static class TorchRuntime
{
    private const string BridgeLibrary = "libLibTorchSharp.so";
    private static readonly string[] CpuLibraries = ["libc10.so", "libtorch_cpu.so"];
    private static readonly string[] CudaLibraries = ["libc10_cuda.so", "libtorch_cuda.so"];
    private static readonly Lock Gate = new();
    private static bool _initialized;
    private static bool _cuda;
    private static string _description = "not initialised";

    /// <summary>Whether CUDA is usable (valid after <see cref="EnsureInitialized"/>).</summary>
    public static bool IsCudaAvailable
    {
        get
        {
            EnsureInitialized();
            return _cuda;
        }
    }

    /// <summary>Where libtorch was loaded from and which devices are usable.</summary>
    public static string Description => _description;

    /// <summary>Loads and initialises TorchSharp once per process; later calls return at once.</summary>
    /// <param name="options">Where libtorch is and whether CUDA is required; defaults when null.</param>
    /// <exception cref="TorchLoadException">libtorch or TorchSharp's bridge cannot be loaded, or CUDA is required and absent.</exception>
    public static void EnsureInitialized(TorchRuntimeOptions? options = null)
    {
        lock (Gate)
        {
            if (_initialized)
            {
                if (options?.RequireCuda == true && !_cuda)
                {
                    throw CudaAbsent(_description);
                }

                return;
            }

            options ??= new TorchRuntimeOptions();
            var libTorchDirectory = options.LibTorchDirectory
                ?? NonEmpty(Environment.GetEnvironmentVariable(TorchRuntimeOptions.LibTorchDirectoryVariable))
                ?? NonEmpty(Environment.GetEnvironmentVariable("TORCH_LIB_DIR"));
            var source = libTorchDirectory is null ? PackagedLibTorch() : InstalledLibTorch(libTorchDirectory);
            LoadBridge();
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
                _cuda = torch.cuda.is_available();
            }
            catch (Exception ex) when (ex is not TorchLoadException)
            {
                throw new TorchLoadException($"TorchSharp could not initialise libtorch from {source}: {ex.Message}", ex);
            }

            _description = $"libtorch {torch.__version__} from {source}; CUDA {(_cuda ? $"available ({torch.cuda.device_count()} device(s))" : "not available")}";
            _initialized = true;
            if (options.RequireCuda && !_cuda)
            {
                throw CudaAbsent(_description);
            }
        }
    }

    private static TorchLoadException CudaAbsent(string description) => new(
        $"CUDA was asked for but is not available ({description}). Reference a CUDA libtorch package, or point " +
        $"{nameof(TorchRuntimeOptions)}.{nameof(TorchRuntimeOptions.LibTorchDirectory)} or {TorchRuntimeOptions.LibTorchDirectoryVariable} " +
        "at an installed CUDA libtorch (for example <python>/site-packages/torch/lib), on a machine with an NVIDIA GPU and driver.");

    private static string PackagedLibTorch()
    {
        var folder = NativeFolder(BridgeLibrary);
        if (folder is null || !File.Exists(Path.Combine(folder, "libtorch_cpu.so")))
        {
            throw new TorchLoadException(
                $"No libtorch found next to the application ({AppContext.BaseDirectory}). Reference a libtorch package in the application " +
                "(for example `libtorch-cpu-linux-x64`, with <RuntimeIdentifier>linux-x64</RuntimeIdentifier>), or set " +
                $"{TorchRuntimeOptions.LibTorchDirectoryVariable} to the folder of an installed libtorch (for example <python>/site-packages/torch/lib).");
        }

        foreach (var library in CpuLibraries)
        {
            Load(Path.Combine(folder, library), "the libtorch package copied next to the application");
        }

        return folder;
    }

    private static string InstalledLibTorch(string directory)
    {
        if (!File.Exists(Path.Combine(directory, "libtorch_cpu.so")))
        {
            throw new TorchLoadException(
                $"The libtorch folder '{directory}' (from {nameof(TorchRuntimeOptions.LibTorchDirectory)}, {TorchRuntimeOptions.LibTorchDirectoryVariable} or TORCH_LIB_DIR) has no libtorch_cpu.so; " +
                "point it at a folder holding libc10.so and libtorch_cpu.so (a PyTorch installation's site-packages/torch/lib).");
        }

        // Loaded by full path before the bridge, so its dependencies resolve to this installation, CUDA parts included.
        foreach (var library in CpuLibraries.Concat(CudaLibraries).Append("libtorch.so"))
        {
            var path = Path.Combine(directory, library);
            if (File.Exists(path))
            {
                Load(path, $"the installed libtorch in '{directory}'");
            }
        }

        return directory;
    }

    private static void LoadBridge()
    {
        var folder = NativeFolder(BridgeLibrary)
            ?? throw new TorchLoadException($"TorchSharp's native bridge {BridgeLibrary} is not next to the application ({AppContext.BaseDirectory}); reference the TorchSharp package in the application.");
        Load(Path.Combine(folder, BridgeLibrary), "TorchSharp's native bridge");
    }

    internal static void Load(string path, string what)
    {
        try
        {
            NativeLibrary.Load(path);
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
        {
            var detail = ex.Message;
            if (detail.Contains("GLIBCXX_", StringComparison.Ordinal))
            {
                throw new TorchLoadException(
                    $"{what} ({path}) needs a newer libstdc++ than this system has: {detail}. " +
                    "The Mlops.Training build step marks TorchSharp's GLIBCXX_3.4.32 need weak in the build and publish output; " +
                    "it runs for projects that reference the Mlops.Training package (buildTransitive) and was bypassed here " +
                    "(MlopsPatchLibTorchSharp=false, a copy made outside the build, or a different libtorch). Rebuild the application, " +
                    "or install a libstdc++ from GCC 13 or newer.",
                    ex);
            }

            throw new TorchLoadException($"Could not load {what} from {path}: {detail}", ex);
        }
    }

    private static string? NativeFolder(string library)
    {
        var baseDirectory = AppContext.BaseDirectory;
        foreach (var folder in new[] { baseDirectory, Path.Combine(baseDirectory, "runtimes", "linux-x64", "native") })
        {
            if (File.Exists(Path.Combine(folder, library)))
            {
                return folder;
            }
        }

        return null;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
