namespace Mlops.Pipelines;

/// <summary>The executor's slots: a global limit (<see cref="ExecutorOptions.MaxParallelism"/>) and one count per pool, shared by all runs.</summary>
internal sealed class PoolSlots
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Pool> _pools = new(StringComparer.Ordinal);
    private readonly HashSet<DagRunEngine> _waiters = [];
    private int _globalFree;

    public PoolSlots(ExecutorOptions options)
    {
        _globalFree = options.MaxParallelism;
        _pools[TaskArguments.DefaultPool] = new Pool(options.DefaultPoolSlots);
        foreach (var (name, slots) in options.Pools)
        {
            _pools[name] = new Pool(slots);
        }
    }

    /// <summary>Throws when a task names a pool that does not exist or asks for more slots than it has.</summary>
    public void Validate(DagTask task, string runId)
    {
        if (!_pools.TryGetValue(task.Pool, out var pool))
        {
            throw new PipelineException(
                $"DAG '{task.Dag.DagId}', task '{task.TaskId}' uses pool '{task.Pool}', which is not configured; add it to ExecutorOptions.Pools (known: {string.Join(", ", _pools.Keys)}).",
                task.Dag.DagId, runId, task.TaskId);
        }

        if (task.PoolSlots > pool.Size)
        {
            throw new PipelineException(
                $"DAG '{task.Dag.DagId}', task '{task.TaskId}' needs {task.PoolSlots} slots of pool '{task.Pool}', which has {pool.Size}.",
                task.Dag.DagId, runId, task.TaskId);
        }
    }

    /// <summary>Takes slots, or registers <paramref name="waiter"/> to be told when slots are released.</summary>
    public bool TryAcquire(string poolName, int slots, DagRunEngine waiter)
    {
        lock (_lock)
        {
            var pool = _pools[poolName];
            if (_globalFree >= 1 && pool.Free >= slots)
            {
                _globalFree--;
                pool.Free -= slots;
                return true;
            }

            _waiters.Add(waiter);
            return false;
        }
    }

    public void Release(string poolName, int slots)
    {
        DagRunEngine[]? toWake = null;
        lock (_lock)
        {
            _globalFree++;
            _pools[poolName].Free += slots;
            if (_waiters.Count > 0)
            {
                toWake = [.. _waiters];
                _waiters.Clear();
            }
        }

        if (toWake is not null)
        {
            foreach (var engine in toWake)
            {
                engine.OnSlotsFreed();
            }
        }
    }

    public void Forget(DagRunEngine engine)
    {
        lock (_lock)
        {
            _waiters.Remove(engine);
        }
    }

    private sealed class Pool(int size)
    {
        public int Size { get; } = size;

        public int Free { get; set; } = size;
    }
}
