using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Storage;

namespace Mlops.Features.Tests.Parquet;

/// <summary>Spark's save modes and the atomic commit: a failed or cancelled write leaves no trace.</summary>
public sealed class ParquetSaveModeTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ErrorIfExistsRefusesAnExistingDestinationAndKeepsIt()
    {
        var output = _temp.Combine("out");
        Numbers(0, 100).WriteParquet(output);
        var before = Snapshot(output);

        Assert.Throws<BlobAlreadyExistsException>(() => Numbers(100, 50).WriteParquet(output));

        Assert.Equal(before, Snapshot(output));
        Assert.Equal(new[] { "out" }, _temp.Entries());
    }

    [Fact]
    public void ErrorIfExistsAlsoRefusesAnEmptyFolder()
    {
        var output = _temp.Combine("empty-folder");
        Directory.CreateDirectory(output);

        Assert.Throws<BlobAlreadyExistsException>(() => Numbers(0, 10).WriteParquet(output));
    }

    [Fact]
    public void OverwriteReplacesTheContentAndLeavesNothingBehind()
    {
        var output = _temp.Combine("out");
        Numbers(0, 100).WriteParquet(output);

        var result = Numbers(1000, 30).WriteParquet(output, new ParquetWriteOptions { Mode = SaveMode.Overwrite });

        Assert.Equal(30, result.Rows);
        Assert.Equal(Enumerable.Range(1000, 30).Select(i => (long)i), Ids(output));
        Assert.Equal(new[] { "out" }, _temp.Entries());
    }

    [Fact]
    public void OverwriteReplacesASingleFile()
    {
        var output = _temp.Combine("out");
        File.WriteAllText(output, "old content");

        Numbers(0, 10).WriteParquet(output, new ParquetWriteOptions { Mode = SaveMode.Overwrite });

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), Ids(output));
        Assert.Equal(new[] { "out" }, _temp.Entries());
    }

    [Fact]
    public void AppendAddsPartFilesNextToTheExistingOnes()
    {
        var output = _temp.Combine("out");
        var first = Numbers(0, 100).WriteParquet(output);

        var second = Numbers(100, 50).WriteParquet(output, new ParquetWriteOptions { Mode = SaveMode.Append });

        Assert.Equal(Enumerable.Range(0, 150).Select(i => (long)i), Ids(output));
        Assert.Equal(first.Files.Count + second.Files.Count, Directory.GetFiles(output, "*.parquet").Length);
        Assert.True(File.Exists(Path.Combine(output, "_SUCCESS")));
        Assert.Equal(new[] { "out" }, _temp.Entries());
    }

    [Fact]
    public void AppendToAMissingDestinationCreatesIt()
    {
        var output = _temp.Combine("nested", "out");

        Numbers(0, 5).WriteParquet(output, new ParquetWriteOptions { Mode = SaveMode.Append });

        Assert.Equal(Enumerable.Range(0, 5).Select(i => (long)i), Ids(output));
    }

    [Fact]
    public void IgnoreSkipsWithoutEvaluatingTheFrame()
    {
        var output = _temp.Combine("out");
        Numbers(0, 10).WriteParquet(output);
        var before = Snapshot(output);

        var result = Failing(afterBatches: 0).WriteParquet(output, new ParquetWriteOptions { Mode = SaveMode.Ignore });

        Assert.True(result.Skipped);
        Assert.Empty(result.Files);
        Assert.Equal(before, Snapshot(output));
    }

    [Fact]
    public void IgnoreWritesWhenTheDestinationIsMissing()
    {
        var output = _temp.Combine("out");

        var result = Numbers(0, 10).WriteParquet(output, new ParquetWriteOptions { Mode = SaveMode.Ignore });

        Assert.False(result.Skipped);
        Assert.Equal(10, Ids(output).Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AFailingPartitionLeavesNoVisibleOutputAndNoLeftovers(int degree)
    {
        var output = _temp.Combine("out");

        var error = Assert.Throws<InvalidOperationException>(() => Failing(afterBatches: 3).WriteParquet(output, new ParquetWriteOptions { DegreeOfParallelism = degree, RowGroupSize = 100 }));

        Assert.Equal("upstream partition failed", error.Message);
        Assert.Empty(_temp.Entries());
    }

    [Fact]
    public void AFailedOverwriteKeepsTheOldData()
    {
        var output = _temp.Combine("out");
        Numbers(0, 100).WriteParquet(output);
        var before = Snapshot(output);

        Assert.Throws<InvalidOperationException>(() => Failing(afterBatches: 3).WriteParquet(output, new ParquetWriteOptions { Mode = SaveMode.Overwrite, DegreeOfParallelism = 2 }));

        Assert.Equal(before, Snapshot(output));
        Assert.Equal(new[] { "out" }, _temp.Entries());
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), Ids(output));
    }

    [Fact]
    public void AFailedAppendKeepsTheOldData()
    {
        var output = _temp.Combine("out");
        Numbers(0, 100).WriteParquet(output);
        var before = Snapshot(output);

        Assert.Throws<InvalidOperationException>(() => Failing(afterBatches: 2).WriteParquet(output, new ParquetWriteOptions { Mode = SaveMode.Append }));

        Assert.Equal(before, Snapshot(output));
        Assert.Equal(new[] { "out" }, _temp.Entries());
    }

    [Fact]
    public void CancellationLeavesTheDestinationAsItWas()
    {
        var output = _temp.Combine("out");
        Numbers(0, 100).WriteParquet(output);
        var before = Snapshot(output);
        using var cts = new CancellationTokenSource();
        var frame = Numbers(0, 10_000, batchSize: 100).MapBatches(
            Numbers(0, 1).Schema,
            b =>
            {
                if (((Int64Array)b.Column(0)).GetValue(0) >= 3_000)
                {
                    cts.Cancel();
                }

                return b;
            });

        Assert.ThrowsAny<OperationCanceledException>(() => frame.WriteParquet(output, new ParquetWriteOptions { Mode = SaveMode.Overwrite, DegreeOfParallelism = 2 }, cts.Token));

        Assert.Equal(before, Snapshot(output));
        Assert.Equal(new[] { "out" }, _temp.Entries());
    }

    [Fact]
    public void UnsupportedColumnTypeFailsBeforeAnythingIsWritten()
    {
        var schema = new Schema([new Field("when", Date64Type.Default, true)], null);
        var frame = Frame.FromRows(schema, [[new DateOnly(2024, 1, 1)]]);
        var output = _temp.Combine("out");

        var error = Assert.Throws<SchemaException>(() => frame.WriteParquet(output));

        Assert.Contains("'when'", error.Message);
        Assert.Empty(_temp.Entries());
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Numbers(0, 1).WriteParquet(_temp.Combine("a"), new ParquetWriteOptions { RowGroupSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Numbers(0, 1).WriteParquet(_temp.Combine("b"), new ParquetWriteOptions { MaxRowsPerFile = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Numbers(0, 1).WriteParquet(_temp.Combine("c"), new ParquetWriteOptions { DegreeOfParallelism = 0 }));
        Assert.Empty(_temp.Entries());
    }

    private static Frame Numbers(int start, int count, int batchSize = 40)
    {
        var schema = new Schema([new Field("id", Int64Type.Default, false), new Field("label", StringType.Default, true)], null);
        return Frame.FromRows(schema, Enumerable.Range(start, count).Select(i => (IReadOnlyList<object?>)[(long)i, i % 3 == 0 ? null : "row " + i]), batchSize);
    }

    /// <summary>A frame of several partitions, one of which throws after yielding some batches.</summary>
    private static Frame Failing(int afterBatches)
    {
        var good = Numbers(0, 400, batchSize: 50);
        var partitions = good.ReadBatches().Select(b => (FramePartition)(_ => [b])).ToList();
        partitions.Insert(2, _ => Throwing(good.ReadBatches().Take(afterBatches)));
        return Frame.FromPartitions(good.Schema, partitions);

        static IEnumerable<RecordBatch> Throwing(IEnumerable<RecordBatch> first)
        {
            foreach (var batch in first)
            {
                yield return batch;
            }

            throw new InvalidOperationException("upstream partition failed");
        }
    }

    private static List<long> Ids(string output) =>
        Frame.ReadParquet(output).Collect().Select(r => (long)r["id"]!).Order().ToList();

    /// <summary>Every file under a folder with its content hash, to prove it was not touched.</summary>
    private static Dictionary<string, string> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
