using Mlops.Distributed.Collectives;

namespace Mlops.Distributed.Tests.Collectives;

public class RingAllReduceTests
{
    private static double[] Input(int rank, int count, int seed) =>
        Enumerable.Range(0, count).Select(i => (double)((((seed * 31) + (rank * 7919) + (i * 104729)) % 97) - 48)).ToArray();

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, false)]

    // Segments of 4 KiB (4104 B): the larger sizes go round the ring in several segments, the last one short.
    [InlineData(2, true, 4096)]
    [InlineData(3, true, 4104)]
    [InlineData(3, false, 4096)]

    // The latency path off: every size goes through reduce-scatter and all-gather (by default the smaller sizes do not).
    [InlineData(2, true, 2 << 20, 0)]
    [InlineData(4, false, 2 << 20, 0)]
    public void EveryOpAndAwkwardSizeMatchesTheReference(int worldSize, bool sharedMemory, int segmentBytes = 2 << 20, int smallAllReduceBytes = 64 << 10)
    {
        var sizes = new[] { 0, 1, 2, 3, 7, 13, 257, 1031, 4099 };
        RingHarness.RunAll(worldSize, RingHarness.Options(sharedMemory: sharedMemory, segmentBytes: segmentBytes, smallAllReduceBytes: smallAllReduceBytes), comm =>
        {
            foreach (var op in Enum.GetValues<ReduceOp>())
            {
                foreach (var size in sizes)
                {
                    var all = Enumerable.Range(0, worldSize).Select(r => Input(r, size, size)).ToArray();
                    var mine = (double[])all[comm.Rank].Clone();
                    var expected = new double[size];
                    for (var i = 0; i < size; i++)
                    {
                        var values = all.Select(a => a[i]).ToArray();
                        expected[i] = op switch
                        {
                            ReduceOp.Sum => values.Sum(),
                            ReduceOp.Average => values.Sum() / worldSize,
                            ReduceOp.Min => values.Min(),
                            ReduceOp.Max => values.Max(),
                            _ => values.Aggregate(1.0, (a, b) => a * b),
                        };
                    }

                    var floats = mine.Select(v => (float)v).ToArray();
                    comm.AllReduce(floats.AsSpan(), op);
                    var ints = mine.Select(v => (int)v).ToArray();
                    var intsOut = new int[size];
                    comm.AllReduce<int>(ints, intsOut, op);
                    var longs = mine.Select(v => (long)v).ToArray();
                    comm.AllReduce(longs, op);
                    comm.AllReduce(mine, op);
                    for (var i = 0; i < size; i++)
                    {
                        Assert.Equal(expected[i], mine[i], 9);
                        Assert.Equal(expected[i], floats[i], Math.Abs(expected[i]) * 1e-5 + 1e-4);
                        var intExpected = op == ReduceOp.Average ? Math.Truncate(all.Sum(a => (long)a[i]) / (double)worldSize) : expected[i];
                        Assert.Equal(intExpected, intsOut[i]);
                        Assert.Equal(intExpected, longs[i]);
                    }
                }
            }
        });
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void WideElementsStayWholeWhereThePipeWrapsOffTheirGrid(int worldSize)
    {
        // A float32 all-reduce of one element leaves the streams of ranks 0 and 1 four bytes off the 8-byte grid; the
        // float64 and int64 all-reduces that follow move several 4 MiB pipes' worth, so elements straddle the pipe's end
        // and the reduction that reads them where they lie must get each one whole.
        const int count = 1_500_007;
        RingHarness.RunAll(worldSize, RingHarness.Options(timeoutSeconds: 20, pieceBytes: 256 << 10), comm =>
        {
            var one = new float[] { comm.Rank + 1 };
            comm.AllReduce(one.AsSpan());
            Assert.Equal(worldSize * (worldSize + 1) / 2, one[0]);
            for (var round = 0; round < 2; round++)
            {
                var doubles = new double[count];
                var longs = new long[count];
                for (var i = 0; i < count; i++)
                {
                    doubles[i] = (i % 1009) * (comm.Rank + 1) + round;
                    longs[i] = ((long)i << 20) * (comm.Rank % 2 == 0 ? 1 : -1) + comm.Rank;
                }

                comm.AllReduce(doubles.AsSpan());
                comm.AllReduce(longs.AsSpan(), ReduceOp.Max);
                var rankSum = worldSize * (worldSize + 1) / 2;
                for (var i = 0; i < count; i++)
                {
                    if (doubles[i] != (i % 1009) * rankSum + (round * worldSize) || longs[i] != (i == 0 ? worldSize - 1 : ((long)i << 20) + worldSize - 1 - ((worldSize - 1) % 2)))
                    {
                        Assert.Fail($"rank {comm.Rank}, round {round}, element {i}: {doubles[i]}, {longs[i]}");
                    }
                }
            }
        });
    }

    [Theory]
    [InlineData(3, 64 << 10)]
    [InlineData(3, 0)]
    [InlineData(4, 64 << 10)]
    public void EveryRankGetsTheSameBitsAndTheLatencyPathSumsInRankOrder(int worldSize, int smallAllReduceBytes)
    {
        // Even ranks hold ±2^24-sized values that cancel, odd ranks small ones that float32 loses next to 2^24: the order
        // of the additions changes the result, so ranks that summed in their own order would disagree (and data-parallel
        // replicas would drift apart).
        const int count = 997;
        float Value(int rank, int i) => rank % 2 == 0
            ? (rank % 4 == 0 ? 1 : -1) * 16777216f * (1 + ((i % 7) / 8f))
            : 1.25f + ((i % 5) * 0.375f) + rank;
        var results = new float[worldSize][];
        RingHarness.RunAll(worldSize, RingHarness.Options(smallAllReduceBytes: smallAllReduceBytes), comm =>
        {
            var data = Enumerable.Range(0, count).Select(i => Value(comm.Rank, i)).ToArray();
            comm.AllReduce(data.AsSpan());
            results[comm.Rank] = data;
        });

        for (var rank = 1; rank < worldSize; rank++)
        {
            Assert.Equal(results[0].Select(BitConverter.SingleToInt32Bits), results[rank].Select(BitConverter.SingleToInt32Bits));
        }

        if (smallAllReduceBytes > 0)
        {
            var inRankOrder = Enumerable.Range(0, count).Select(i =>
            {
                var sum = Value(0, i);
                for (var rank = 1; rank < worldSize; rank++)
                {
                    sum += Value(rank, i);
                }

                return BitConverter.SingleToInt32Bits(sum);
            });
            Assert.Equal(inRankOrder, results[0].Select(BitConverter.SingleToInt32Bits));
        }
    }
}
