namespace Mlops.Pipelines;

/// <summary>A task of a built <see cref="Dag"/>: what it does, its arguments and its direct dependencies. Immutable.</summary>
public sealed class DagTask
{
    private IReadOnlyList<string>? _upstreamIds;
    private IReadOnlyList<string>? _downstreamIds;

    internal DagTask(Dag dag, DagTaskBuilder builder, int index, int[] upstream, int[] downstream)
    {
        Dag = dag;
        TaskId = builder.TaskId;
        GroupId = builder.Group?.GroupId;
        Operator = builder.Operator;
        var a = builder.Arguments;
        Owner = a.Owner;
        Retries = a.Retries;
        RetryDelay = a.RetryDelay;
        RetryExponentialBackoff = a.RetryExponentialBackoff;
        MaxRetryDelay = a.MaxRetryDelay;
        ExecutionTimeout = a.ExecutionTimeout;
        DependsOnPast = a.DependsOnPast;
        TriggerRule = a.TriggerRule;
        Pool = a.Pool;
        PoolSlots = a.PoolSlots;
        PriorityWeight = a.PriorityWeight;
        Index = index;
        UpstreamIndices = upstream;
        DownstreamIndices = downstream;
    }

    /// <summary>The DAG the task belongs to.</summary>
    public Dag Dag { get; }

    /// <summary>The task's id (with its group prefix).</summary>
    public string TaskId { get; }

    /// <summary>The innermost task group, if any.</summary>
    public string? GroupId { get; }

    /// <summary>What the task does.</summary>
    public TaskOperator Operator { get; }

    /// <summary>Who owns the task.</summary>
    public string Owner { get; }

    /// <summary>How many times a failed attempt is retried.</summary>
    public int Retries { get; }

    /// <summary>The number of attempts allowed: <see cref="Retries"/> + 1.</summary>
    public int MaxTries => Retries + 1;

    /// <summary>The wait before a retry.</summary>
    public TimeSpan RetryDelay { get; }

    /// <summary>Whether retry delays double at each retry.</summary>
    public bool RetryExponentialBackoff { get; }

    /// <summary>The cap on exponential retry delays.</summary>
    public TimeSpan MaxRetryDelay { get; }

    /// <summary>The longest an attempt may run, if limited.</summary>
    public TimeSpan? ExecutionTimeout { get; }

    /// <summary>Whether the task waits for its instance in the previous run to succeed or be skipped.</summary>
    public bool DependsOnPast { get; }

    /// <summary>When the task runs given its upstream states.</summary>
    public TriggerRule TriggerRule { get; }

    /// <summary>The pool whose slots the task uses.</summary>
    public string Pool { get; }

    /// <summary>How many pool slots the task uses.</summary>
    public int PoolSlots { get; }

    /// <summary>The task's priority among ready tasks.</summary>
    public int PriorityWeight { get; }

    /// <summary>The ids of the direct upstream tasks.</summary>
    public IReadOnlyList<string> UpstreamTaskIds => _upstreamIds ??= UpstreamIndices.Select(i => Dag.Tasks[i].TaskId).ToArray();

    /// <summary>The ids of the direct downstream tasks.</summary>
    public IReadOnlyList<string> DownstreamTaskIds => _downstreamIds ??= DownstreamIndices.Select(i => Dag.Tasks[i].TaskId).ToArray();

    internal int Index { get; }

    internal int[] UpstreamIndices { get; }

    internal int[] DownstreamIndices { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Dag.DagId}.{TaskId}";
}
