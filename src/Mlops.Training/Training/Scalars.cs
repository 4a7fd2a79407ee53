using TorchSharp;

namespace Mlops.Training;

/// <summary>Scalars the hot path uses every step, made once (TorchSharp makes a native scalar, with a finalizer, for every implicit conversion).</summary>
internal static class Scalars
{
    /// <summary>1, the alpha of a plain in-place add.</summary>
    public static Scalar One { get; } = 1.ToScalar();
}
