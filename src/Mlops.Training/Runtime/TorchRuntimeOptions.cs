namespace Mlops.Training.Runtime;

/// <summary>Where libtorch comes from and which device kind is wanted.</summary>
public sealed class TorchRuntimeOptions
{
    /// <summary>The environment variable naming a folder of an installed libtorch (for example a PyTorch installation's <c>torch/lib</c>).</summary>
    public const string LibTorchDirectoryVariable = "MLOPS_LIBTORCH_DIR";

    /// <summary>
    /// A folder holding an installed libtorch (<c>libc10.so</c>, <c>libtorch_cpu.so</c>, and for CUDA
    /// <c>libc10_cuda.so</c>, <c>libtorch_cuda.so</c>), used when the application references no libtorch package
    /// with the wanted device, as on a machine whose PyTorch installation carries a CUDA libtorch. When null,
    /// <see cref="LibTorchDirectoryVariable"/> (or <c>TORCH_LIB_DIR</c>) is read; when that is unset too, the
    /// libtorch package copied next to the application is used.
    /// </summary>
    public string? LibTorchDirectory { get; set; }

    /// <summary>Whether CUDA is required; initialisation fails with a clear error when it is absent.</summary>
    public bool RequireCuda { get; set; }
}
