using Mlops.Training.Distributed.Collectives;

namespace Mlops.Training.Distributed.Tests.Collectives;

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
    public void EveryOpAndAwkwardSizeMatchesTheReference(int worldSize, bool sharedMemory)
    {
        var sizes = new[] { 0, 1, 2, 3, 7, 13, 257, 1031, 4099 };
        RingHarness.RunAll(worldSize, RingHarness.Options(sharedMemory: sharedMemory), comm =>
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
}
