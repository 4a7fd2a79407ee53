using Apache.Arrow;
using Mlops.Features;
using Mlops.Features.Joins;
using static Mlops.Features.Tests.Joins.JoinTestFrames;

namespace Mlops.Features.Tests.Joins;

/// <summary>How joins execute: lazily, building once, probing partitions in parallel, in bounded batches.</summary>
public sealed class JoinExecutionTests
{
    [Fact]
    public void JoinReadsNothingUntilAnActionAndBuildsOnce()
    {
        var probeReads = 0;
        var buildReads = 0;
        var probe = Counting(Of(["k:long", "a:int"], [.. Enumerable.Range(0, 40).Select(i => new object?[] { (long)(i % 7), i })], batchSize: 5), () => Interlocked.Increment(ref probeReads));
        var build = Counting(Of(["k:long", "b:int"], [.. Enumerable.Range(0, 7).Select(i => new object?[] { (long)i, i * 10 })], batchSize: 3), () => Interlocked.Increment(ref buildReads));

        var joined = probe.Join(build, "k", JoinType.Left);
        Assert.Equal(0, probeReads);
        Assert.Equal(0, buildReads);
        Assert.Equal(probe.PartitionCount, joined.PartitionCount);

        Assert.Equal(40, joined.Count());
        Assert.Equal(probe.PartitionCount, probeReads);
        Assert.Equal(build.PartitionCount, buildReads);

        // A second action re-reads the probe side but reuses the hash table.
        Assert.Equal(40, joined.Collect().Count);
        Assert.Equal(2 * probe.PartitionCount, probeReads);
        Assert.Equal(build.PartitionCount, buildReads);
    }

    [Fact]
    public void FullJoinAddsOnePartitionForUnmatchedBuildRows()
    {
        var left = Of(["k:long", "a:int"], [[1L, 1], [2L, 2], [3L, 3]], batchSize: 1);
        var right = Of(["k:long", "b:int"], [[2L, 20], [4L, 40], [5L, 50], [null, 60]], batchSize: 2);
        var joined = left.Join(right, "k", JoinType.Full);

        // Left (3 rows) is smaller, so it is the build side and the right's 2 partitions are probed.
        Assert.True(JoinPlan.Create(left, right, ["k"], JoinType.Full).BuildOnLeft);
        Assert.Equal(right.PartitionCount + 1, joined.PartitionCount);
        var last = joined.Partitions[^1](default).SelectMany(b => Enumerable.Range(0, b.Length).Select(r => (long?)((Int64Array)b.Column(0)).GetValue(r))).ToList();
        Assert.Equal([1L, 3L], last);
    }

    [Theory]
    [InlineData(JoinType.Inner, 10, 5, false)]
    [InlineData(JoinType.Inner, 5, 10, true)]
    [InlineData(JoinType.Inner, 5, 5, false)]
    [InlineData(JoinType.Inner, null, 5, false)]
    [InlineData(JoinType.Inner, 5, null, false)] // an unknown size builds on the right, the conventional dimension side
    [InlineData(JoinType.Inner, null, null, false)]
    [InlineData(JoinType.Full, 5, 10, true)]
    [InlineData(JoinType.Full, 10, 5, false)]
    [InlineData(JoinType.Left, 5, 10, false)]
    [InlineData(JoinType.LeftSemi, 5, 10, false)]
    [InlineData(JoinType.LeftAnti, 5, 10, false)]
    [InlineData(JoinType.Right, 10, 5, true)]
    public void BuildSideFollowsEstimatedRowCounts(JoinType how, int? leftRows, int? rightRows, bool buildOnLeft)
    {
        var left = WithEstimate(Of(["k:int"], [[1]]), leftRows);
        var right = WithEstimate(Of(["k:int"], [[1]]), rightRows);
        Assert.Equal(buildOnLeft, JoinPlan.Create(left, right, ["k"], how).BuildOnLeft);
    }

    [Fact]
    public void EstimatedRowCountIsTheProbeSides()
    {
        var big = Of(["k:int", "a:int"], [.. Enumerable.Range(0, 10).Select(i => new object?[] { i, i })]);
        var small = Of(["k:int", "b:int"], [[1, 1], [2, 2]]);
        Assert.Equal(10, big.Join(small, "k").EstimatedRowCount);
        Assert.Equal(10, small.Join(big, "k", JoinType.Right).EstimatedRowCount);
        Assert.Equal(10, small.Join(big, "k", JoinType.Full).EstimatedRowCount);
        Assert.Null(small.Join(WithEstimate(big, null), "k", JoinType.Full).EstimatedRowCount);
    }

    [Theory]
    [InlineData("string", "key")]
    [InlineData("long", 7L)]
    [InlineData("double", double.NaN)]
    public void ManyToManyOutputIsSplitIntoBoundedBatches(string keyType, object key)
    {
        // 300 x 300 rows on one key: 90,000 output rows from a single probe batch.
        var left = Of([$"k:{keyType}", "a:int"], [.. Enumerable.Range(0, 300).Select(i => new object?[] { key, i })], batchSize: 1000);
        var right = Of([$"k:{keyType}", "b:int"], [.. Enumerable.Range(0, 300).Select(i => new object?[] { key, i })], batchSize: 1000);
        foreach (var how in new[] { JoinType.Inner, JoinType.Full, JoinType.Left, JoinType.Right })
        {
            var batches = left.Join(right, "k", how).ReadBatches().ToList();
            Assert.True(batches.Count >= 2);
            Assert.All(batches, b => Assert.InRange(b.Length, 1, HashJoin.MaxBatchRows));
            Assert.Equal(90_000, batches.Sum(b => b.Length));

            // Every (a, b) pair exactly once, despite the split.
            var pairs = batches.SelectMany(b => Enumerable.Range(0, b.Length).Select(r => ((Int32Array)b.Column(1)).GetValue(r)!.Value * 1000 + ((Int32Array)b.Column(2)).GetValue(r)!.Value)).ToHashSet();
            Assert.Equal(90_000, pairs.Count);
        }
    }

    [Theory]
    [InlineData(JoinType.Inner)]
    [InlineData(JoinType.Left)]
    [InlineData(JoinType.Right)]
    [InlineData(JoinType.Full)]
    [InlineData(JoinType.LeftSemi)]
    [InlineData(JoinType.LeftAnti)]
    public void MultiPartitionProbeMatchesSinglePartition(JoinType how)
    {
        var random = new Random(20240229);
        var left = Of(["k:long", "s:string", "a:int"], [.. Enumerable.Range(0, 5000).Select(i => Row(random, i))], batchSize: 97);
        var right = Of(["k:long", "s:string", "b:int"], [.. Enumerable.Range(0, 3000).Select(i => Row(random, i))], batchSize: 211);
        Assert.True(left.PartitionCount > 10);

        var parallel = Sorted(left.Join(right, ["k", "s"], how).Collect().Select(r => r.Values));
        var single = Sorted(SinglePartition(left).Join(SinglePartition(right), ["k", "s"], how).Collect().Select(r => r.Values));
        Assert.Equal(single, parallel);
        Assert.NotEmpty(parallel);

        static object?[] Row(Random random, int i) =>
            [random.Next(10) == 0 ? null : (long)random.Next(400), random.Next(8) == 0 ? null : "s" + random.Next(3), i];
    }

    [Fact]
    public void LongKeyProbeMatchesExpectedCountsOnAWiderDomain()
    {
        // Every probe key k in [0, 20000) matches build rows k/2 (two per even key): exercises many buckets.
        var probe = Frame.FromRows(SchemaOf("k:long", "a:int"), Enumerable.Range(0, 20_000).Select(i => (IReadOnlyList<object?>)[(long)i, i]), 4096);
        var build = Frame.FromRows(SchemaOf("k:long", "b:int"), Enumerable.Range(0, 20_000).Select(i => (IReadOnlyList<object?>)[(long)(i / 2 * 2), i]), 4096);
        Assert.Equal(20_000, probe.Join(build, "k").Count());
        Assert.Equal(30_000, probe.Join(build, "k", JoinType.Left).Count());
        Assert.Equal(10_000, probe.Join(build, "k", JoinType.LeftSemi).Count());
        Assert.Equal(10_000, probe.Join(build, "k", JoinType.LeftAnti).Count());
    }

    [Theory]
    [InlineData(JoinType.Inner)]
    [InlineData(JoinType.Full)]
    [InlineData(JoinType.LeftAnti)]
    public void SlicedInputBatchesJoinLikeTheirCopies(JoinType how)
    {
        // Arrays that start at an offset into their buffers (as readers and Limit may produce) on both sides.
        var random = new Random(7);
        var left = Of(["k:long", "s:string", "d:double"], [.. Enumerable.Range(0, 64).Select(i => Row(random, i))], batchSize: 64);
        var right = Of(["k:long", "s:string", "e:double"], [.. Enumerable.Range(0, 64).Select(i => Row(random, i))], batchSize: 64);
        var slicedLeft = Sliced(left);
        var slicedRight = Sliced(right);
        Assert.Contains(slicedLeft.ReadBatches(), b => b.Column(0).Offset > 0);

        foreach (var on in new[] { new[] { "k" }, ["s"], ["k", "s"] })
        {
            // The shared column that is not a key gets another name on the right.
            var l = left;
            var sl = slicedLeft;
            var r = on.Length == 2 ? right : right.WithColumnRenamed(on[0] == "k" ? "s" : "k", "other");
            var sr = on.Length == 2 ? slicedRight : slicedRight.WithColumnRenamed(on[0] == "k" ? "s" : "k", "other");
            var expected = Sorted(SinglePartition(Sliced(l, copy: true)).Join(SinglePartition(Sliced(r, copy: true)), on, how).Collect().Select(x => x.Values));
            Assert.Equal(expected, Sorted(sl.Join(sr, on, how).Collect().Select(x => x.Values)));
            Assert.NotEmpty(expected);
        }

        static object?[] Row(Random random, int i) =>
            [random.Next(6) == 0 ? null : (long)random.Next(8), random.Next(6) == 0 ? null : "s" + random.Next(4), (double)i];
    }

    [Theory]
    [InlineData(JoinType.Inner)]
    [InlineData(JoinType.Left)]
    [InlineData(JoinType.LeftSemi)]
    [InlineData(JoinType.Right)]
    public void ProbeRowsThatMatchOnceInARunComeOutAsViewsOfTheProbeBatch(JoinType how)
    {
        // Probe keys 0..99 in one batch with nulls in its value columns; build keys 5..94, unique. Rows 5..94 of the
        // probe batch match once each, in order: one run starting at a row that is not on a byte boundary.
        var random = new Random(11);
        var probe = Of(["k:long", "s:string", "d:double", "f:bool"], [.. Enumerable.Range(0, 100).Select(i => new object?[]
        {
            (long)i, random.Next(4) == 0 ? null : "s" + i, random.Next(4) == 0 ? null : i * 0.5, random.Next(4) == 0 ? null : i % 3 == 0,
        })], batchSize: 100);
        var build = Of(["k:long", "b:int"], [.. Enumerable.Range(5, 90).Select(i => new object?[] { (long)i, random.Next(4) == 0 ? null : i * 10 })], batchSize: 100);
        var (left, right) = how == JoinType.Right ? (build, probe) : (probe, build);
        var joined = left.Join(right, "k", how);
        Assert.Equal(how == JoinType.Right, JoinPlan.Create(left, right, ["k"], how).BuildOnLeft);

        var expected = Sorted(SinglePartition(Copied(probe)).Join(SinglePartition(Copied(build)), "k", how == JoinType.Right ? JoinType.Left : how).Collect()
            .Select(r => how == JoinType.Right ? (IEnumerable<object?>)[r.Values[0], r.Values[^1], .. r.Values.Skip(1).Take(3)] : r.Values));
        Assert.Equal(expected, Sorted(joined.Collect().Select(r => r.Values)));
        Assert.Equal(how is JoinType.Left or JoinType.Right ? 100 : 90, expected.Count);

        // Inner and semi joins find one run (rows 5..94) and share the probe batch's buffers instead of copying.
        if (how is JoinType.Inner or JoinType.LeftSemi)
        {
            var source = probe.ReadBatches().Single();
            var output = joined.ReadBatches().Single();
            var d = output.Schema.GetFieldIndex("d");
            Assert.Equal(5, output.Column(d).Offset);
            Assert.True(output.Column(d).Data.Buffers[1].Span.Overlaps(source.Column(2).Data.Buffers[1].Span));
        }
    }

    [Theory]
    [InlineData(new int[0], -1)]
    [InlineData(new[] { 4 }, 4)]
    [InlineData(new[] { 3, 4, 5, 6 }, 3)]
    [InlineData(new[] { 3, 4, 4, 6 }, -1)]
    [InlineData(new[] { 3, 5, 4, 6 }, -1)]
    [InlineData(new[] { -1, 0, 1 }, -1)]
    [InlineData(new[] { 0, 0 }, -1)]
    public void ContiguousRunStartAcceptsOnlyOneAscendingRun(int[] rows, int start) =>
        Assert.Equal(start, HashJoin.ContiguousRunStart(rows));

    private static Frame Copied(Frame frame) =>
        Frame.FromBatches(frame.Schema, frame.ReadBatches().Select(b => Mlops.Arrow.ArrowArrays.Take(b, Enumerable.Range(0, b.Length).ToArray())).ToList());

    // Cuts each batch into [3, 40) and [40, end) slices (or copies of those rows).
    private static Frame Sliced(Frame frame, bool copy = false)
    {
        var batches = new List<RecordBatch>();
        foreach (var batch in frame.ReadBatches())
        {
            foreach (var (start, end) in new[] { (3, 40), (40, batch.Length) })
            {
                var slice = new RecordBatch(batch.Schema, Enumerable.Range(0, batch.ColumnCount).Select(c => ArrowArrayFactory.Slice(batch.Column(c), start, end - start)), end - start);
                batches.Add(copy ? Mlops.Arrow.ArrowArrays.Take(slice, Enumerable.Range(0, slice.Length).ToArray()) : slice);
            }
        }

        return Frame.FromBatches(frame.Schema, batches);
    }

    [Fact]
    public void CancellationStopsTheJoin()
    {
        var left = Of(["k:long"], [.. Enumerable.Range(0, 100).Select(i => new object?[] { (long)i })], batchSize: 10);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => left.Join(left, "k").Count(cts.Token));
    }

    [Fact]
    public void AFailingBuildSideIsRetriedByTheNextAction()
    {
        var fail = true;
        var good = Of(["k:long"], [[1L], [2L]]);
        var flaky = Frame.FromPartitions(good.Schema, [ct => fail ? throw new IOException("disk gone") : good.Partitions[0](ct)], 2);
        var joined = Of(["k:long", "a:int"], [[1L, 1], [3L, 3]]).Join(flaky, "k");
        Assert.Throws<IOException>(() => joined.Count());
        fail = false;
        Assert.Equal(1, joined.Count());
    }

    private static Frame Counting(Frame frame, Action onRead) =>
        Frame.FromPartitions(frame.Schema, frame.Partitions.Select(p => (FramePartition)(ct => Read(p, onRead, ct))), frame.EstimatedRowCount);

    private static IEnumerable<RecordBatch> Read(FramePartition partition, Action onRead, CancellationToken ct)
    {
        onRead();
        foreach (var batch in partition(ct))
        {
            yield return batch;
        }
    }
}
