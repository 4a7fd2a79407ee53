namespace Mlops.Pipelines;

/// <summary>Counts of a task's direct upstream tasks by state, the input of <see cref="TriggerRuleEvaluator"/>.</summary>
/// <param name="Total">Number of direct upstream tasks.</param>
/// <param name="Success">Upstream tasks in <see cref="TaskInstanceState.Success"/>.</param>
/// <param name="Skipped">Upstream tasks in <see cref="TaskInstanceState.Skipped"/>.</param>
/// <param name="Failed">Upstream tasks in <see cref="TaskInstanceState.Failed"/>.</param>
/// <param name="UpstreamFailed">Upstream tasks in <see cref="TaskInstanceState.UpstreamFailed"/>.</param>
/// <param name="Removed">Upstream tasks in <see cref="TaskInstanceState.Removed"/> (counted as done).</param>
public readonly record struct UpstreamStates(int Total, int Success, int Skipped, int Failed, int UpstreamFailed, int Removed = 0)
{
    /// <summary>Upstream tasks in a final state.</summary>
    public int Done => Success + Skipped + Failed + UpstreamFailed + Removed;

    /// <summary>Whether every upstream task is in a final state.</summary>
    public bool AllDone => Done >= Total;
}

/// <summary>What a trigger rule decides for a task that has not started.</summary>
public enum TriggerDecision
{
    /// <summary>Not yet: more upstream tasks must finish.</summary>
    Wait,

    /// <summary>The rule is met: the task runs.</summary>
    Run,

    /// <summary>The rule can no longer be met in a way that calls for a skip: the task becomes skipped.</summary>
    Skip,

    /// <summary>The rule can no longer be met because of an upstream failure: the task becomes upstream_failed.</summary>
    UpstreamFailed,
}
