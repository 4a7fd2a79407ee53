using Mlops.Training.Distributed;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Training;

/// <summary>
/// N replicas as threads of one process, for testing the training loop's replica logic without worker processes.
/// Collectives go through shared arrays between two barrier phases; sums are taken in rank order in float64 so every
/// replica gets bit-identical results. Every wait has a timeout.
/// </summary>
internal sealed class ThreadReplicaGroup
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly Barrier _barrier;
    private readonly double[][] _slots;
    private readonly string?[] _errors;

    public ThreadReplicaGroup(int size)
    {
        Size = size;
        _barrier = new Barrier(size);
        _slots = new double[size][];
        _errors = new string?[size];
    }

    public int Size { get; }

    public int AllReduceCalls;

    public IReplicaContext Replica(int rank) => new Member(this, rank);

    /// <summary>Runs <paramref name="body"/> on every replica's thread inside its scope; returns each replica's result.</summary>
    public T[] Run<T>(Func<int, T> body)
    {
        var results = new T[Size];
        var failures = new Exception?[Size];
        var threads = Enumerable.Range(0, Size).Select(rank => new Thread(() =>
        {
            try
            {
                using var scope = ReplicaScope.Enter(Replica(rank));
                results[rank] = body(rank);
            }
            catch (Exception ex)
            {
                failures[rank] = ex;
            }
        })).ToList();
        threads.ForEach(thread => thread.Start());
        foreach (var thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromMinutes(3)), "a replica thread hung");
        }

        if (failures.Any(failure => failure is not null))
        {
            throw new AggregateException(failures.Where(failure => failure is not null)!);
        }

        return results;
    }

    private void Wait()
    {
        if (!_barrier.SignalAndWait(Timeout))
        {
            throw new TimeoutException("a replica did not reach the barrier");
        }
    }

    private sealed class Member(ThreadReplicaGroup group, int rank) : IReplicaContext
    {
        public int ReplicaId => rank;

        public int NumReplicas => group.Size;

        public bool IsChief => rank == 0;

        public Device Device => CPU;

        public void BroadcastParameters(Tensor flatParameters, CancellationToken cancellationToken)
        {
            var values = ToArray(flatParameters);
            group._slots[rank] = values;
            group.Wait();
            var chief = group._slots[0];
            group.Wait();
            CopyInto(flatParameters, chief);
        }

        public void AllReduceSum(Tensor flat, CancellationToken cancellationToken)
        {
            if (rank == 0)
            {
                Interlocked.Increment(ref group.AllReduceCalls);
            }

            group._slots[rank] = ToArray(flat);
            group.Wait();
            var sum = Sum();
            group.Wait();
            CopyInto(flat, sum);
        }

        public void AllReduceSum(Span<double> values, CancellationToken cancellationToken)
        {
            group._slots[rank] = values.ToArray();
            group.Wait();
            var sum = Sum();
            group.Wait();
            sum.CopyTo(values);
        }

        public void Barrier(CancellationToken cancellationToken) => group.Wait();

        public void AgreeOnErrors(string? localError, string stage, CancellationToken cancellationToken)
        {
            group._errors[rank] = localError;
            group.Wait();
            var first = Array.FindIndex(group._errors, error => error is not null);
            var message = first < 0 ? null : group._errors[first];
            group.Wait();
            if (message is not null)
            {
                throw new ReplicaFailedException(first, stage, message);
            }
        }

        private double[] Sum()
        {
            var sum = new double[group._slots[0].Length];
            foreach (var slot in group._slots)
            {
                for (var i = 0; i < sum.Length; i++)
                {
                    sum[i] += slot[i];
                }
            }

            return sum;
        }

        private static double[] ToArray(Tensor tensor)
        {
            using var values = tensor.to_type(ScalarType.Float64).cpu();
            return values.data<double>().ToArray();
        }

        private static void CopyInto(Tensor tensor, double[] values)
        {
            using var source = TorchSharp.torch.tensor(values).to_type(tensor.dtype);
            using (no_grad())
            {
                tensor.copy_(source);
            }
        }
    }
}
