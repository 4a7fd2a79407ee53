using System.Diagnostics;

namespace Mlops.Distributed.Tests.Collectives;

/// <summary>Ranks as real processes on loopback: correctness, divergence, a rank that never starts and a rank killed mid-collective.</summary>
public class ProcessRingTests
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(40);

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    [InlineData(3, false)]
    public async Task EveryCollectiveIsCorrectAcrossProcesses(int worldSize, bool sharedMemory)
    {
        using var workers = new WorkerProcesses("sweep", worldSize, Enumerable.Range(0, worldSize), timeoutMs: 20_000, sharedMemory: sharedMemory);
        foreach (var (rank, (exitCode, output, error)) in await workers.WaitAllAsync(ProcessTimeout))
        {
            Assert.True(exitCode == 0, $"rank {rank} exited with {exitCode}: {output}{error}");
            Assert.Contains($"OK rank {rank}", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ARankWithADifferentSizeIsNamedOnEveryRank()
    {
        using var workers = new WorkerProcesses("mismatch", 3, Enumerable.Range(0, 3), timeoutMs: 5000);
        foreach (var (rank, (exitCode, _, error)) in await workers.WaitAllAsync(ProcessTimeout))
        {
            Assert.Equal(1, exitCode);
            Assert.Contains("ERROR CollectiveMismatchException", error, StringComparison.Ordinal);
            Assert.Contains("rank 2 called #0 AllReduce(Sum, float32 × 99)", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ARankThatNeverStartsIsNamedWithinTheTimeout()
    {
        var watch = Stopwatch.StartNew();
        using var workers = new WorkerProcesses("sweep", 3, [0, 2], timeoutMs: 2000, connectTimeoutMs: 2000);
        foreach (var (rank, (exitCode, _, error)) in await workers.WaitAllAsync(ProcessTimeout))
        {
            Assert.Equal(1, exitCode);
            Assert.Contains("ERROR CollectiveTimeoutException", error, StringComparison.Ordinal);
            Assert.Contains("gave up after 2 s waiting for rank(s) 1 to join the job", error, StringComparison.Ordinal);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ARankKilledMidCollectiveIsNamedOnTheOthers(bool sharedMemory)
    {
        // Shared memory: a killed process leaves its pipe as it was; its closed TCP connection is what the others see.
        using var workers = new WorkerProcesses("loop", 3, Enumerable.Range(0, 3), timeoutMs: 3000, sharedMemory: sharedMemory);
        var watch = Stopwatch.StartNew();
        while (!workers.OutputOf(1).Contains("READY", StringComparison.Ordinal))
        {
            Assert.False(workers.ProcessOf(1).HasExited, "rank 1 exited before it was ready");
            Assert.True(watch.Elapsed < ProcessTimeout, "rank 1 never became ready");
            await Task.Delay(20);
        }

        workers.ProcessOf(1).Kill();
        var results = await workers.WaitAllAsync(ProcessTimeout);
        foreach (var rank in new[] { 0, 2 })
        {
            var (exitCode, _, error) = results[rank];
            Assert.Equal(1, exitCode);
            Assert.Contains("ERROR CollectivePeerLostException", error, StringComparison.Ordinal);
            Assert.Contains("connection to rank 1", error, StringComparison.Ordinal);
        }
    }
}
