using static TorchSharp.torch;

namespace Mlops.Training.Tests.Training;

/// <summary>
/// Compares two training trajectories that should be the same computation. Copies of state (weights, optimizer
/// moments, step counts) are compared bit for bit where they are made; trajectories that run forward and backward
/// passes again are compared within a bound, because libtorch's BLAS (MKL) is not bitwise reproducible between two
/// runs of the same matrix product unless its conditional numerical reproducibility mode is on: on an AMD EPYC two
/// identical models trained in lockstep in one process drift by 1 ulp within 8 steps (5.6e-17 in float64), and
/// <c>MKL_CBWR=AVX2</c> makes them identical. A restore that lost or re-laid any state moves the parameters by
/// orders of magnitude more than the bound (1e-4 and up after one Adam step at these learning rates).
/// </summary>
internal static class Trajectories
{
    /// <summary>The largest difference two runs of the same computation may show (a few ulps of rounding, amplified by the steps).</summary>
    public static double Bound(ScalarType type) => type == ScalarType.Float64 ? 1e-12 : 1e-5;

    /// <summary>The largest absolute difference between two tensors of the same shape.</summary>
    public static double MaxDifference(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var difference = (expected.to_type(ScalarType.Float64) - actual.to_type(ScalarType.Float64)).abs().max();
        return difference.item<double>();
    }

    /// <summary>Asserts that two parameter vectors from the same computation agree within <see cref="Bound"/>.</summary>
    public static void AssertSame(Tensor expected, Tensor actual, string what)
    {
        var difference = MaxDifference(expected, actual);
        var bound = Bound(expected.dtype);
        Assert.True(difference <= bound, $"{what}: the parameters differ by {difference} (more than {bound}, the rounding of two runs of the same computation)");
    }
}
