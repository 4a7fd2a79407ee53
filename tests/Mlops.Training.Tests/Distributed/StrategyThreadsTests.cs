using Mlops.Training.Distributed;
using Mlops.Distributed.Cluster;

namespace Mlops.Training.Tests.Distributed;

public class StrategyThreadsTests
{
    private static ClusterSpec Worker(int localWorldSize) => new(0, localWorldSize, "127.0.0.1", 29500, localRank: 0, localWorldSize: localWorldSize);

    [Theory]
    [InlineData(1, 16, null)] // alone on the host: libtorch's default
    [InlineData(2, 16, 8)]
    [InlineData(4, 2, 1)] // never fewer than one thread
    [InlineData(3, 16, 5)]
    public void Workers_sharing_a_host_divide_its_cores(int localWorkers, int cores, int? expected) =>
        Assert.Equal(expected, MultiWorkerMirroredStrategy.IntraOpThreads(Worker(localWorkers), configured: null, ompNumThreads: null, cores));

    [Fact]
    public void The_users_choice_wins_whether_option_or_OMP_NUM_THREADS()
    {
        Assert.Equal(3, MultiWorkerMirroredStrategy.IntraOpThreads(Worker(2), configured: 3, ompNumThreads: "1", cores: 16));
        Assert.Null(MultiWorkerMirroredStrategy.IntraOpThreads(Worker(2), configured: null, ompNumThreads: "4", cores: 16));
    }

    [Fact]
    public void Fewer_than_one_thread_is_refused_at_validation() =>
        Assert.Contains(
            "IntraOpThreads",
            Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Mlops.Hosting.MlopsOptions.Validate(new MultiWorkerMirroredStrategyOptions { IntraOpThreads = 0 }, new MultiWorkerMirroredStrategyOptionsValidator())).Message,
            StringComparison.Ordinal);
}
