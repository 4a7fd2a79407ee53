using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;
using Mlops.Distributed.Nccl;

namespace Mlops.Distributed.Tests.Nccl;

/// <summary>
/// The NCCL backend on a machine without the library or a GPU (as here): it fails at once with a message that says
/// what is missing and how to provide it, and never waits for other ranks. tools/gpu-check.sh runs it on a GPU.
/// </summary>
public class NcclCommunicatorTests
{
    private static readonly ClusterSpec TwoRanks = new(1, 2, "127.0.0.1", 1);

    [Fact]
    public void AMissingCudaRuntimeIsAClearErrorBeforeAnyWait()
    {
        var options = new CollectiveOptions { CudaRuntimePath = "/nonexistent/libcudart.so.12", ConnectTimeout = TimeSpan.FromMinutes(5) };
        var ex = Assert.Throws<CollectiveBackendUnavailableException>(() => NcclCommunicator.Create(TwoRanks, options));
        Assert.Contains("Rank 1: the NCCL backend needs the CUDA runtime (libcudart.so.*), which was not found (tried: /nonexistent/libcudart.so.12)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("set CUDART_LIB", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, ex.Rank);
    }

    [Fact]
    public void ALibraryThatIsNotTheCudaRuntimeIsNamed()
    {
        var options = new CollectiveOptions { CudaRuntimePath = "libc.so.6", NcclLibraryPath = "libc.so.6" };
        var ex = Assert.Throws<CollectiveBackendUnavailableException>(() => NcclCommunicator.Create(TwoRanks, options));
        Assert.Contains("'libc.so.6' does not export", ex.Message, StringComparison.Ordinal);
        Assert.Contains("NCCL_LIB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFactoryPicksTheConfiguredBackend()
    {
        var options = new CollectiveOptions { Backend = CollectiveBackend.Nccl, CudaRuntimePath = "/nonexistent/libcudart.so" };
        Assert.Throws<CollectiveBackendUnavailableException>(() => CollectiveCommunicatorFactory.Create(ClusterSpec.SingleProcess(), options));
        using var ring = CollectiveCommunicatorFactory.Create(ClusterSpec.SingleProcess(Collectives.RingHarness.FreePort()), new CollectiveOptions());
        Assert.Equal("tcp-ring", ring.Backend);
        var data = new[] { 1.5f, 2.5f };
        ring.AllReduce(data.AsSpan(), ReduceOp.Average);
        Assert.Equal(new[] { 1.5f, 2.5f }, data);
    }

    [Fact]
    public void AutoIsNcclOnDeviceMemoryAndTheRingOnHostMemory()
    {
        Assert.Equal(CollectiveBackend.Ring, CollectiveCommunicatorFactory.Choose(CollectiveBackend.Auto, deviceMemory: false));
        Assert.Equal(CollectiveBackend.Nccl, CollectiveCommunicatorFactory.Choose(CollectiveBackend.Auto, deviceMemory: true));
        Assert.Equal(CollectiveBackend.Nccl, CollectiveCommunicatorFactory.Choose(CollectiveBackend.Nccl, deviceMemory: false));
        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => CollectiveCommunicatorFactory.Choose(CollectiveBackend.Ring, deviceMemory: true));
        Assert.Contains("Backend Ring reduces host memory", ex.Message, StringComparison.Ordinal);
        var invalid = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => CollectiveCommunicatorFactory.Create(ClusterSpec.SingleProcess(), new CollectiveOptions { PieceBytes = 5001 }));
        Assert.Contains("PieceBytes must be a multiple of 8, not 5001", invalid.Message, StringComparison.Ordinal);
    }
}
