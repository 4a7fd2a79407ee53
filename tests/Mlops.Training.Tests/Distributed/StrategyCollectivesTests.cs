namespace Mlops.Training.Tests.Distributed;

/// <summary>The strategy's collectives across real worker processes on 127.0.0.1.</summary>
[Collection(StrategyProcessCollection.Name)]
public sealed class StrategyCollectivesTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("mlops-strategy-");

    public void Dispose() => _folder.Delete(true);

    [Fact]
    public void Broadcast_gives_every_rank_rank_0s_values_across_buckets()
    {
        using var job = new StrategyProcesses(3, "strategy-broadcast", [_folder.FullName, "1024"]);
        AssertAllSucceeded(job.WaitAll(Deadline));
        foreach (var tensor in new[] { "Float32-1000", "Float64-333", "Float64-1" })
        {
            var root = Read($"before-{tensor}-rank0");
            Assert.NotEqual(root, Read($"before-{tensor}-rank1"));
            for (var rank = 0; rank < 3; rank++)
            {
                Assert.Equal(root, Read($"after-{tensor}-rank{rank}"));
            }
        }
    }

    [Fact]
    public void All_reduce_sums_exactly_for_sizes_around_bucket_boundaries_and_refuses_what_it_cannot_reduce()
    {
        using var job = new StrategyProcesses(3, "strategy-allreduce", ["1024"]);
        var results = job.WaitAll(Deadline);
        AssertAllSucceeded(results);
        foreach (var (_, output, _) in results.Values)
        {
            Assert.Contains("OK checked 13 tensors", output, StringComparison.Ordinal);
            Assert.Contains("NONCONTIGUOUS refused: Rank", output, StringComparison.Ordinal);
            Assert.Contains("is not contiguous", output, StringComparison.Ordinal);
            Assert.Contains("INT16 refused: Rank", output, StringComparison.Ordinal);
            Assert.Contains("not Int16", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Agree_on_errors_throws_the_same_error_naming_the_first_failing_rank_on_every_rank()
    {
        using var job = new StrategyProcesses(3, "strategy-agree", ["2,1"]);
        var results = job.WaitAll(Deadline);
        const string Expected = "REPLICA-FAILED|1|input check before epoch 1|rank 1, input check before epoch 1: feature width 7 does not match the model's input width 10 (data/part-1.parquet) (rank(s) 2 reported a problem too)";
        for (var rank = 0; rank < 3; rank++)
        {
            Assert.True(results[rank].ExitCode == 3, $"rank {rank}: exit {results[rank].ExitCode}; {results[rank].Output} {results[rank].Error}");
            Assert.Equal(Expected, FirstLine(results[rank].Output, "REPLICA-FAILED"));
        }
    }

    [Fact]
    public void Agree_on_errors_carries_a_long_message_truncated_the_same_way_everywhere()
    {
        using var job = new StrategyProcesses(2, "strategy-agree", ["0", "long"]);
        var results = job.WaitAll(Deadline);
        var lines = results.Values.Select(r => FirstLine(r.Output, "REPLICA-FAILED")).ToArray();
        Assert.All(results.Values, r => Assert.Equal(3, r.ExitCode));
        Assert.Equal(lines[0], lines[1]);
        Assert.StartsWith("REPLICA-FAILED|0|input check before epoch 1|rank 0, input check before epoch 1: rank 0 says: ééé", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("é [truncated]", lines[0], StringComparison.Ordinal);
        var detail = lines[0][lines[0].IndexOf("rank 0 says", StringComparison.Ordinal)..];
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(detail), 3900, 4000);
    }

    [Fact]
    public void A_rank_that_dies_is_named_by_the_others_within_the_collective_timeout()
    {
        using var job = new StrategyProcesses(3, "strategy-die", ["1"], collectiveTimeout: TimeSpan.FromSeconds(5));
        var results = job.WaitAll(TimeSpan.FromSeconds(60));
        Assert.Equal(9, results[1].ExitCode);
        foreach (var rank in new[] { 0, 2 })
        {
            var (exitCode, output, error) = results[rank];
            Assert.True(exitCode == 4, $"rank {rank}: exit {exitCode}; {output} {error}");
            var line = FirstLine(output, "COLLECTIVE-FAILED");
            Assert.Contains("rank 1", line, StringComparison.OrdinalIgnoreCase);
        }
    }

    internal static void AssertAllSucceeded(IReadOnlyDictionary<int, (int ExitCode, string Output, string Error)> results)
    {
        foreach (var (rank, (exitCode, output, error)) in results)
        {
            Assert.True(exitCode == 0, $"rank {rank} exited with {exitCode}: {output} {error}");
        }
    }

    internal static string FirstLine(string output, string prefix) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"no line starting with {prefix} in: {output}");

    private byte[] Read(string name) => File.ReadAllBytes(Path.Combine(_folder.FullName, name + ".bin"));
}
