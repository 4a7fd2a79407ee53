using System.Numerics;
using Mlops.Distributed.Collectives;

namespace Mlops.Distributed.TestWorker;

/// <summary>Every collective × type × reduction × awkward size, checked against a reference computed from every rank's inputs.</summary>
internal static class Sweep
{
    private static readonly int[] Sizes = [0, 1, 2, 3, 5, 7, 13, 64, 257, 1031, 4099];

    public static void Run(ICollectiveCommunicator communicator)
    {
        Check<float>(communicator);
        Check<double>(communicator);
        Check<int>(communicator);
        Check<long>(communicator);
        communicator.Barrier();
    }

    private static T Value<T>(int rank, int index, int size)
        where T : INumber<T> => T.CreateChecked(((((size * 31) + (rank * 7919) + (index * 104729)) % 23) - 11));

    private static void Check<T>(ICollectiveCommunicator c)
        where T : unmanaged, INumber<T>
    {
        var n = c.WorldSize;
        foreach (var size in Sizes)
        {
            foreach (var op in Enum.GetValues<ReduceOp>())
            {
                var buffer = new T[size];
                for (var i = 0; i < size; i++)
                {
                    buffer[i] = Value<T>(c.Rank, i, size);
                }

                var output = new T[size];
                c.AllReduce<T>(buffer, output, op);
                c.AllReduce(buffer.AsSpan(), op);
                for (var i = 0; i < size; i++)
                {
                    var expected = Reference<T>(op, n, i, size);
                    Expect(expected == buffer[i] && expected == output[i], $"AllReduce {op} {typeof(T).Name} × {size}: element {i} is {buffer[i]}/{output[i]}, expected {expected}");
                }

                var blocks = new T[size * n];
                for (var i = 0; i < blocks.Length; i++)
                {
                    blocks[i] = Value<T>(c.Rank, i, size * n);
                }

                var mine = new T[size];
                c.ReduceScatter<T>(blocks, mine, op);
                for (var i = 0; i < size; i++)
                {
                    var expected = Reference<T>(op, n, (c.Rank * size) + i, size * n);
                    Expect(expected == mine[i], $"ReduceScatter {op} {typeof(T).Name} × {size}: element {i} is {mine[i]}, expected {expected}");
                }
            }

            var gathered = new T[size * n];
            var own = Enumerable.Range(0, size).Select(i => Value<T>(c.Rank, i, size)).ToArray();
            c.AllGather<T>(own, gathered);
            for (var r = 0; r < n; r++)
            {
                for (var i = 0; i < size; i++)
                {
                    Expect(gathered[(r * size) + i] == Value<T>(r, i, size), $"AllGather {typeof(T).Name} × {size}: block {r} element {i} is wrong");
                }
            }

            var root = size % n;
            var broadcast = Enumerable.Range(0, size).Select(i => Value<T>(c.Rank, i, size)).ToArray();
            c.Broadcast(broadcast.AsSpan(), root);
            for (var i = 0; i < size; i++)
            {
                Expect(broadcast[i] == Value<T>(root, i, size), $"Broadcast root {root} {typeof(T).Name} × {size}: element {i} is wrong");
            }
        }
    }

    private static T Reference<T>(ReduceOp op, int n, int index, int size)
        where T : INumber<T>
    {
        // Small integer values keep every type's arithmetic exact, so results compare with ==.
        var acc = Value<T>(0, index, size);
        for (var r = 1; r < n; r++)
        {
            var v = Value<T>(r, index, size);
            acc = op switch
            {
                ReduceOp.Sum or ReduceOp.Average => acc + v,
                ReduceOp.Product => acc * v,
                ReduceOp.Min => T.Min(acc, v),
                _ => T.Max(acc, v),
            };
        }

        return op == ReduceOp.Average ? acc / T.CreateChecked(n) : acc;
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
