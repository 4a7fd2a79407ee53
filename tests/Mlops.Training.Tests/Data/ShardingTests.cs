using Mlops.Training.Data;

namespace Mlops.Training.Tests.Data;

/// <summary>103 records in 5 Parquet files (21 rows each, the last 19) of row groups of 8 rows, written once for the class.</summary>
public sealed class ShardingParquetFixture : IDisposable
{
    public const int Rows = 103;
    public const int Width = 3;
    private readonly DataTempFolder _temp = new();

    public ShardingParquetFixture()
    {
        Folder = DataTestSupport.WriteParquet(_temp.Combine("features"), Rows, Width, rowsPerFile: 21, rowGroupSize: 8);
    }

    public string Folder { get; }

    public void Dispose() => _temp.Dispose();
}

public sealed class ShardingTests(ShardingParquetFixture parquet) : IClassFixture<ShardingParquetFixture>
{
    private const int Rows = ShardingParquetFixture.Rows;
    private const int Width = ShardingParquetFixture.Width;
    private const int GlobalBatch = 12;

    public static TheoryData<string, AutoShardPolicy, int, bool> Cases()
    {
        var data = new TheoryData<string, AutoShardPolicy, int, bool>();
        foreach (var source in new[] { "memory", "parquet" })
        {
            foreach (var policy in new[] { AutoShardPolicy.Data, AutoShardPolicy.File, AutoShardPolicy.Auto })
            {
                if (source == "memory" && policy == AutoShardPolicy.File)
                {
                    continue;
                }

                for (var replicas = 1; replicas <= 4; replicas++)
                {
                    data.Add(source, policy, replicas, false);
                    data.Add(source, policy, replicas, true);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_record_is_seen_exactly_once_per_pass_across_replicas(string source, AutoShardPolicy policy, int replicas, bool shuffle)
    {
        var dataset = Open(source);
        if (shuffle)
        {
            dataset = dataset.Shuffle(bufferSize: 10, seed: 7);
        }

        dataset = dataset.Batch(GlobalBatch).Repeat(2).WithOptions(new DatasetOptions { AutoShardPolicy = policy });

        var perReplica = Enumerable.Range(0, replicas).Select(r => DataTestSupport.ReadAll(dataset, r, replicas)).ToArray();

        for (var pass = 0; pass < 2; pass++)
        {
            var seen = perReplica.SelectMany(batches => batches.Where(b => b.Position.Pass == pass)).SelectMany(b => b.Labels).Select(l => (int)l).Order().ToArray();
            Assert.Equal(Enumerable.Range(0, Rows), seen);
        }

        foreach (var batches in perReplica)
        {
            DataTestSupport.AssertRowsIntact(batches, Width);
            Assert.All(batches, b => Assert.True(b.Count <= GlobalBatch / replicas, $"a replica got {b.Count} rows, more than B/N = {GlobalBatch / replicas}"));
        }

        var fileSharded = replicas > 1 && source == "parquet" && policy is AutoShardPolicy.File or AutoShardPolicy.Auto;
        if (fileSharded)
        {
            Assert.All(perReplica.SelectMany(b => b), b => Assert.Equal(-1, b.GlobalCount));
            Assert.Null(dataset.BatchesPerPass(replicas));
        }
        else
        {
            // Record sharding: every replica steps through the same batches, and their slices add up to the global count.
            var steps = perReplica[0].Select(b => b.Position).ToArray();
            Assert.All(perReplica, batches => Assert.Equal(steps, batches.Select(b => b.Position)));
            Assert.Equal(2 * dataset.BatchesPerPass(replicas), steps.Length);
            for (var i = 0; i < steps.Length; i++)
            {
                var slices = perReplica.Select(batches => batches[i]).ToArray();
                Assert.All(slices, s => Assert.Equal(slices.Sum(x => x.Count), s.GlobalCount));
                Assert.True(slices.Max(s => s.Count) - slices.Min(s => s.Count) <= 1, "an uneven batch must be split as evenly as possible");
            }
        }
    }

    [Theory]
    [InlineData("memory", 2, false)]
    [InlineData("memory", 3, true)]
    [InlineData("memory", 4, true)]
    [InlineData("parquet", 2, true)]
    [InlineData("parquet", 3, false)]
    [InlineData("parquet", 4, true)]
    public void Record_sharding_slices_together_are_the_single_reader_batch(string source, int replicas, bool shuffle)
    {
        var dataset = Open(source);
        if (shuffle)
        {
            dataset = dataset.Shuffle(bufferSize: 1000, seed: 3);
        }

        dataset = dataset.Batch(GlobalBatch).Repeat(3).WithOptions(new DatasetOptions { AutoShardPolicy = AutoShardPolicy.Data });
        var single = DataTestSupport.ReadAll(dataset);
        var perReplica = Enumerable.Range(0, replicas).Select(r => DataTestSupport.ReadAll(dataset, r, replicas)).ToArray();

        Assert.Equal(27, single.Count);
        for (var k = 0; k < single.Count; k++)
        {
            var union = perReplica.SelectMany(batches => batches[k].Labels).ToArray();
            Assert.Equal(single[k].Labels, union);
            Assert.All(perReplica, batches => Assert.Equal(single[k].Position, batches[k].Position));
            Assert.All(perReplica, batches => Assert.Equal(single[k].Count, batches[k].GlobalCount));
        }
    }

    [Fact]
    public void The_uneven_last_batch_is_split_as_evenly_as_possible_and_some_replicas_may_get_none()
    {
        // 10 records, global batch 8 on 4 replicas: the last global batch has 2 rows, so replicas 2 and 3 get 0 rows.
        var dataset = DataTestSupport.InMemory(10).Batch(8);

        var counts = Enumerable.Range(0, 4).Select(r => DataTestSupport.ReadAll(dataset, r, 4).Select(b => (b.Count, b.GlobalCount)).ToArray()).ToArray();

        Assert.Equal([(2, 8L), (1, 2L)], counts[0]);
        Assert.Equal([(2, 8L), (1, 2L)], counts[1]);
        Assert.Equal([(2, 8L), (0, 2L)], counts[2]);
        Assert.Equal([(2, 8L), (0, 2L)], counts[3]);
    }

    [Fact]
    public void Drop_remainder_drops_the_partial_batch_on_every_replica()
    {
        var dataset = DataTestSupport.InMemory(10).Batch(8, dropRemainder: true);

        var perReplica = Enumerable.Range(0, 4).Select(r => DataTestSupport.ReadAll(dataset, r, 4)).ToArray();

        Assert.All(perReplica, batches => Assert.Equal(2, Assert.Single(batches).Count));
        Assert.Equal(1, dataset.BatchesPerPass(4));
        Assert.Equal(Enumerable.Range(0, 8), perReplica.SelectMany(b => b[0].Labels).Select(l => (int)l));
    }

    [Fact]
    public void Off_gives_every_replica_the_whole_dataset_in_batches_of_B_over_N()
    {
        var dataset = DataTestSupport.InMemory(10).Batch(4).WithOptions(new DatasetOptions { AutoShardPolicy = AutoShardPolicy.Off });

        var perReplica = Enumerable.Range(0, 2).Select(r => DataTestSupport.ReadAll(dataset, r, 2)).ToArray();

        Assert.Equal(5, dataset.BatchesPerPass(2));
        foreach (var batches in perReplica)
        {
            Assert.Equal(Enumerable.Range(0, 10), batches.SelectMany(b => b.Labels).Select(l => (int)l));
            Assert.All(batches, b => Assert.Equal(2 * b.Count, b.GlobalCount));
        }
    }

    [Fact]
    public void File_sharding_deals_files_round_robin()
    {
        var dataset = ParquetDataset.Open(parquet.Folder).Batch(GlobalBatch).WithOptions(new DatasetOptions { AutoShardPolicy = AutoShardPolicy.File });

        var replica1 = DataTestSupport.ReadAll(dataset, 1, 2).SelectMany(b => b.Labels).Select(l => (int)l).ToArray();

        // Files 1 and 3 (0-based) hold rows 21..41 and 63..83.
        Assert.Equal(Enumerable.Range(21, 21).Concat(Enumerable.Range(63, 21)), replica1);
    }

    [Fact]
    public void A_global_batch_not_divisible_by_the_replicas_is_refused_like_tensorflow()
    {
        var dataset = DataTestSupport.InMemory(10).Batch(10);

        var error = Assert.Throws<ArgumentException>(() => dataset.Read(new DataReadContext(0, 3), DatasetPosition.Start));

        Assert.Contains("global batch size 10", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 replicas", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => dataset.BatchesPerPass(4));
    }

    [Fact]
    public void File_sharding_with_fewer_files_than_replicas_is_refused()
    {
        var file = ParquetDataset.Open(parquet.Folder).Batch(GlobalBatch).WithOptions(new DatasetOptions { AutoShardPolicy = AutoShardPolicy.File });
        var memory = DataTestSupport.InMemory(10).Batch(4).WithOptions(new DatasetOptions { AutoShardPolicy = AutoShardPolicy.File });

        var tooFew = Assert.Throws<ArgumentException>(() => file.Read(new DataReadContext(0, 6), DatasetPosition.Start));
        var noFiles = Assert.Throws<ArgumentException>(() => memory.Read(new DataReadContext(0, 2), DatasetPosition.Start));

        Assert.Contains("5 file(s) for 6 replicas", tooFew.Message, StringComparison.Ordinal);
        Assert.Contains("in-memory", noFiles.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_uses_records_when_there_are_fewer_files_than_replicas()
    {
        var dataset = ParquetDataset.Open(parquet.Folder).Batch(GlobalBatch);

        var batches = DataTestSupport.ReadAll(dataset, 0, 6);

        Assert.All(batches, b => Assert.NotEqual(-1, b.GlobalCount));
        Assert.Equal(9, dataset.BatchesPerPass(6));
    }

    private Dataset Open(string source) => source == "memory" ? DataTestSupport.InMemory(Rows, Width) : ParquetDataset.Open(parquet.Folder);
}
