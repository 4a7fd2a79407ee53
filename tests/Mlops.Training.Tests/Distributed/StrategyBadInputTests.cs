using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features;

namespace Mlops.Training.Tests.Distributed;

/// <summary>Bad input given to <c>Fit</c> in real worker processes: a clear error on every rank, naming it, and no hang.</summary>
[Collection(StrategyProcessCollection.Name)]
public sealed class StrategyBadInputTests : IDisposable
{
    // Far below the 20 s collective timeout the workers run with: the error is agreed, not waited out.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("mlops-bad-input-");

    public void Dispose() => _folder.Delete(true);

    [Fact]
    public void A_feature_width_that_does_not_match_the_model_on_one_rank_fails_every_rank()
    {
        var lines = Run(2, "width");
        Assert.All(lines, line => Assert.StartsWith("REPLICA-FAILED|1|input check before training|rank 1, input check before training: the training dataset", line, StringComparison.Ordinal));
        Assert.All(lines, line => Assert.Contains("has feature width 9, but the model's input width is 10", line, StringComparison.Ordinal));
    }

    [Fact]
    public void A_nan_loss_on_one_rank_fails_every_rank_naming_the_rank_and_step()
    {
        var lines = Run(2, "nan");
        Assert.All(lines, line => Assert.StartsWith("REPLICA-FAILED|1|training|rank 1, training: the loss is NaN or infinite at epoch 1, step 2", line, StringComparison.Ordinal));
    }

    [Fact]
    public void A_global_batch_not_divisible_by_the_workers_fails_every_rank()
    {
        // Every rank holds the same dataset definition, so every rank finds this itself, before any collective: the
        // dataset's own ArgumentException, the same on every rank.
        var lines = Run(3, "indivisible", exitCode: 5);
        Assert.All(lines, line => Assert.Equal(lines[0], line));
        Assert.StartsWith("ERROR|ArgumentException|The global batch size 10 is not divisible by the 3 replicas.", lines[0], StringComparison.Ordinal);
        Assert.Contains("use a global batch size that is a multiple of 3", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_label_column_fails_every_rank_naming_the_file_and_the_columns()
    {
        var data = Path.Combine(_folder.FullName, "features");
        var schema = new Schema([new Field("features", new ListType(new Field("item", DoubleType.Default, true)), true)], null);
        Frame.FromRows(schema, Enumerable.Range(0, 24).Select(i => (IReadOnlyList<object?>)[Enumerable.Repeat((double)i, 10).ToArray()]))
            .WriteParquet(data, new ParquetWriteOptions { DegreeOfParallelism = 1 });

        var lines = Run(2, "label", data, exitCode: 5);
        Assert.All(lines, line => Assert.StartsWith("ERROR|SchemaException|", line, StringComparison.Ordinal));
        Assert.All(lines, line => Assert.Contains("the label column 'label' does not exist. Columns: features", line, StringComparison.Ordinal));
        Assert.All(lines, line => Assert.Contains(".parquet", line, StringComparison.Ordinal));
    }

    /// <summary>Runs the case on <paramref name="workers"/> ranks; returns each rank's error line after checking its exit code.</summary>
    private static string[] Run(int workers, string scenario, string? folder = null, int exitCode = 3)
    {
        using var job = new StrategyProcesses(workers, "strategy-fit-bad", folder is null ? [scenario] : [scenario, folder]);
        var results = job.WaitAll(Deadline);
        return results.OrderBy(r => r.Key).Select(r =>
        {
            Assert.True(r.Value.ExitCode == exitCode, $"rank {r.Key}: exit {r.Value.ExitCode}; {r.Value.Output} {r.Value.Error}");
            return StrategyCollectivesTests.FirstLine(r.Value.Output, exitCode == 5 ? "ERROR|" : "REPLICA-FAILED|");
        }).ToArray();
    }
}
