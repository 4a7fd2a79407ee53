using Mlops.Training.Data;

namespace Mlops.Training.Tests.Data;

public sealed class ShuffleAndResumeTests : IDisposable
{
    private readonly DataTempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_seeded_shuffle_is_reproducible_and_gives_each_pass_its_own_order()
    {
        var dataset = DataTestSupport.InMemory(200).Shuffle(bufferSize: 200, seed: 42).Batch(200).Repeat(3);

        var first = DataTestSupport.ReadAll(dataset).Select(b => b.Labels).ToArray();
        var again = DataTestSupport.ReadAll(dataset).Select(b => b.Labels).ToArray();
        var otherSeed = DataTestSupport.ReadAll(DataTestSupport.InMemory(200).Shuffle(200, seed: 43).Batch(200)).Single().Labels;

        Assert.Equal(first, again);
        Assert.All(first, pass => Assert.Equal(Enumerable.Range(0, 200), pass.Select(l => (int)l).Order()));
        Assert.NotEqual(first[0], first[1]);
        Assert.NotEqual(first[1], first[2]);
        Assert.NotEqual(first[0], otherSeed);
        Assert.NotEqual(Enumerable.Range(0, 200).Select(i => (float)i), first[0]);
    }

    [Fact]
    public void Reshuffle_each_pass_false_repeats_the_first_order()
    {
        var dataset = DataTestSupport.InMemory(50).Shuffle(50, seed: 1, reshuffleEachPass: false).Batch(50).Repeat(2);

        var passes = DataTestSupport.ReadAll(dataset);

        Assert.Equal(passes[0].Labels, passes[1].Labels);
    }

    [Fact]
    public void A_buffer_of_one_keeps_the_order_and_a_full_buffer_is_a_uniform_permutation()
    {
        var identity = DataTestSupport.ReadAll(DataTestSupport.InMemory(30).Shuffle(1, seed: 5).Batch(30)).Single().Labels;
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (float)i), identity);

        // Over many seeds, record 0 of a 4-record dataset lands in each position about equally often (a small buffer would not allow that).
        var positions = new int[4];
        var data = DataTestSupport.InMemory(4);
        for (var seed = 0; seed < 400; seed++)
        {
            var order = DataTestSupport.ReadAll(data.Shuffle(4, seed).Batch(4)).Single().Labels;
            positions[Array.IndexOf(order, 0f)]++;
        }

        Assert.All(positions, count => Assert.InRange(count, 70, 130));
    }

    [Fact]
    public void A_small_buffer_only_moves_records_a_little_within_a_single_block()
    {
        var order = DataTestSupport.ReadAll(DataTestSupport.InMemory(100).Shuffle(4, seed: 9).Batch(100)).Single().Labels;

        // With a buffer of 4 the record emitted at position i was among the first i + 4 inputs.
        for (var i = 0; i < order.Length; i++)
        {
            Assert.True(order[i] < i + 4, $"record {order[i]} emitted at position {i} could not have been in a buffer of 4 yet");
        }

        Assert.NotEqual(Enumerable.Range(0, 100).Select(i => (float)i), order);
    }

    [Fact]
    public void Parquet_row_groups_are_read_in_a_shuffled_order_so_a_small_buffer_still_mixes_the_files()
    {
        var folder = DataTestSupport.WriteParquet(_temp.Combine("rg"), rows: 80, width: 2, rowsPerFile: 40, rowGroupSize: 10);

        var order = DataTestSupport.ReadAll(ParquetDataset.Open(folder).Shuffle(2, seed: 11).Batch(80)).Single().Labels.Select(l => (int)l).ToArray();

        Assert.Equal(Enumerable.Range(0, 80), order.Order());
        var firstGroups = order.Take(10).Select(id => id / 10).Distinct().ToArray();
        Assert.NotEqual([0], firstGroups);
    }

    public static TheoryData<string> Sources() => ["memory", "parquet"];

    [Theory]
    [MemberData(nameof(Sources))]
    public void Resuming_at_a_position_yields_exactly_what_a_reader_from_the_start_yields_from_there(string source)
    {
        var data = source == "memory" ? DataTestSupport.InMemory(97, 2) : ParquetDataset.Open(DataTestSupport.WriteParquet(_temp.Combine("resume"), 97, 2, rowsPerFile: 40, rowGroupSize: 7));
        var dataset = data.Shuffle(bufferSize: 16, seed: 123).Batch(10).Repeat(4);
        var replicas = 2;
        var fromStart = Enumerable.Range(0, replicas).Select(r => DataTestSupport.ReadAll(dataset, r, replicas, default)).ToArray();

        // In memory: record sharding, 10 global batches per pass. Parquet: 3 files, so file sharding; replica 0 reads
        // files 0 and 2 (57 rows, 12 batches of 5 per pass) and replica 1 file 1 (40 rows, 8 batches).
        Assert.Equal(source == "memory" ? [40, 40] : [48, 32], fromStart.Select(batches => batches.Count));

        foreach (var start in new[] { new DatasetPosition(0, 3), new DatasetPosition(1, 0), new DatasetPosition(2, 9), new DatasetPosition(3, 5) })
        {
            for (var r = 0; r < replicas; r++)
            {
                var expected = fromStart[r].Where(b => b.Position.Pass > start.Pass || (b.Position.Pass == start.Pass && b.Position.Batch >= start.Batch)).ToArray();
                var resumed = DataTestSupport.ReadAll(dataset, r, replicas, start);
                Assert.Equal(expected.Length, resumed.Count);
                for (var i = 0; i < expected.Length; i++)
                {
                    Assert.Equal(expected[i].Position, resumed[i].Position);
                    Assert.Equal(expected[i].Labels, resumed[i].Labels);
                    Assert.Equal(expected[i].Features, resumed[i].Features);
                    Assert.Equal(expected[i].GlobalCount, resumed[i].GlobalCount);
                }
            }
        }
    }

    [Fact]
    public void Resuming_a_file_sharded_endless_dataset_continues_each_replica_where_it_was()
    {
        var folder = DataTestSupport.WriteParquet(_temp.Combine("files"), 60, 2, rowsPerFile: 15, rowGroupSize: 4);
        var dataset = ParquetDataset.Open(folder).Shuffle(8, seed: 2).Batch(6).Repeat();

        for (var r = 0; r < 2; r++)
        {
            var fromStart = DataTestSupport.ReadAll(dataset, r, 2, limit: 30);
            var start = fromStart[17].Position;
            var resumed = DataTestSupport.ReadAll(dataset, r, 2, start, limit: 13);
            Assert.Equal(fromStart.Skip(17).Select(b => (b.Position, b.Labels)), resumed.Select(b => (b.Position, b.Labels)));
        }
    }

    [Fact]
    public void A_start_past_a_pass_continues_with_the_next_pass_and_past_the_end_yields_nothing()
    {
        var dataset = DataTestSupport.InMemory(10).Batch(4).Repeat(2);

        var next = DataTestSupport.ReadAll(dataset, start: new DatasetPosition(0, 7));
        var none = DataTestSupport.ReadAll(dataset, start: new DatasetPosition(2, 0));

        Assert.Equal([new DatasetPosition(1, 0), new DatasetPosition(1, 1), new DatasetPosition(1, 2)], next.Select(b => b.Position));
        Assert.Empty(none);
    }
}
