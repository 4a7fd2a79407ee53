using static TorchSharp.torch;

namespace Mlops.Training.Distributed;

/// <summary>
/// N replicas as threads of one process, sharing one device: the training loop's replica logic (broadcast, gradient
/// sums, statistics, agreed errors) without worker processes, for tests and for exercising multi-replica training on a
/// machine with one GPU. Collectives go through host arrays between two barrier phases; sums are taken in rank order
/// in float64, so every replica gets bit-identical results. Every wait has a timeout.
/// </summary>
internal sealed class ThreadReplicaGroup
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);
    private readonly Barrier _barrier;
    private readonly double[][] _slots;
    private readonly string?[] _errors;
    private readonly Device _device;
    private int _allReduceCalls;

    public ThreadReplicaGroup(int size, Device? device = null)
    {
        Size = size;
        _barrier = new Barrier(size);
        _slots = new double[size][];
        _errors = new string?[size];
        _device = device ?? CPU;
    }

    /// <summary>The number of replicas.</summary>
    public int Size { get; }

    /// <summary>How many gradient all-reduces replica 0 has made (tests check that world size 1 makes none).</summary>
    public int AllReduceCalls => Volatile.Read(ref _allReduceCalls);

    /// <summary>The context of one replica, for code that enters its scope itself.</summary>
    public IReplicaContext Replica(int rank) => new Member(this, rank);

    /// <summary>Runs <paramref name="body"/> on every replica's thread inside its replica scope; returns each replica's result.</summary>
    /// <exception cref="AggregateException">A replica failed; holds every replica's exception.</exception>
    /// <exception cref="TimeoutException">A replica thread did not finish within three minutes.</exception>
    public T[] Run<T>(Func<int, T> body)
    {
        var size = _slots.Length;
        var results = new T[size];
        var failures = new Exception?[size];
        var threads = Enumerable.Range(0, size).Select(rank => new Thread(() =>
        {
            try
            {
                using var scope = ReplicaScope.Enter(new Member(this, rank));
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
            if (!thread.Join(TimeSpan.FromMinutes(3)))
            {
                throw new TimeoutException("A replica thread did not finish within 3 minutes.");
            }
        }

        var failed = failures.Where(failure => failure is not null).ToList();
        return failed.Count > 0 ? throw new AggregateException(failed!) : results;
    }

    private void Wait()
    {
        if (!_barrier.SignalAndWait(WaitLimit))
        {
            throw new TimeoutException($"A replica did not reach the barrier within {WaitLimit.TotalSeconds} s.");
        }
    }

    private double[] SumOfSlots()
    {
        var sum = new double[_slots[0].Length];
        foreach (var slot in _slots)
        {
            for (var i = 0; i < sum.Length; i++)
            {
                sum[i] += slot[i];
            }
        }

        return sum;
    }

    private sealed class Member(ThreadReplicaGroup group, int rank) : IReplicaContext
    {
        public int ReplicaId => rank;

        public int NumReplicas => group._slots.Length;

        public bool IsChief => rank == 0;

        public Device Device => group._device;

        public void BroadcastParameters(Tensor flatParameters, CancellationToken cancellationToken)
        {
            group._slots[rank] = ToHost(flatParameters);
            group.Wait();
            var chief = group._slots[0];
            group.Wait();
            CopyInto(flatParameters, chief);
        }

        public void AllReduceSum(Tensor flat, CancellationToken cancellationToken)
        {
            if (rank == 0)
            {
                Interlocked.Increment(ref group._allReduceCalls);
            }

            group._slots[rank] = ToHost(flat);
            group.Wait();
            var sum = group.SumOfSlots();
            group.Wait();
            CopyInto(flat, sum);
        }

        public void AllReduceSum(Span<double> values, CancellationToken cancellationToken)
        {
            group._slots[rank] = values.ToArray();
            group.Wait();
            var sum = group.SumOfSlots();
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

        private static double[] ToHost(Tensor tensor)
        {
            using var values = tensor.to_type(ScalarType.Float64).cpu();
            return values.data<double>().ToArray();
        }

        private static void CopyInto(Tensor tensor, double[] values)
        {
            using var host = TorchSharp.torch.tensor(values);
            using var typed = host.to_type(tensor.dtype);
            using (no_grad())
            {
                tensor.copy_(typed);
            }
        }
    }
}
