namespace Mlops.Pipelines;

/// <summary>
/// Applies a <see cref="TriggerRule"/> to the states of a task's upstream tasks, following Airflow's
/// <c>TriggerRuleDep</c>: first whether the task must be skipped or marked upstream_failed (how skips and
/// failures propagate), then whether the rule is met.
/// </summary>
public static class TriggerRuleEvaluator
{
    /// <summary>Decides what happens to a task that has not started, given its upstream states.</summary>
    /// <param name="rule">The task's trigger rule.</param>
    /// <param name="upstream">Counts of its direct upstream tasks by state.</param>
    /// <returns>Run, wait, skip, or mark upstream_failed.</returns>
    public static TriggerDecision Evaluate(TriggerRule rule, UpstreamStates upstream)
    {
        if (upstream.Total == 0 || rule == TriggerRule.Always)
        {
            return TriggerDecision.Run;
        }

        var (total, success, skipped, failed, upstreamFailed) = (upstream.Total, upstream.Success, upstream.Skipped, upstream.Failed, upstream.UpstreamFailed);
        var done = upstream.AllDone;
        switch (rule)
        {
            case TriggerRule.AllSuccess:
                return failed + upstreamFailed > 0 ? TriggerDecision.UpstreamFailed
                    : skipped > 0 ? TriggerDecision.Skip
                    : success + upstream.Removed >= total ? TriggerDecision.Run
                    : TriggerDecision.Wait;
            case TriggerRule.AllFailed:
                return success + skipped > 0 ? TriggerDecision.Skip
                    : failed + upstreamFailed + upstream.Removed >= total ? TriggerDecision.Run
                    : TriggerDecision.Wait;
            case TriggerRule.AllDone:
                return done ? TriggerDecision.Run : TriggerDecision.Wait;
            case TriggerRule.AllDoneMinOneSuccess:
                return !done ? TriggerDecision.Wait : success > 0 ? TriggerDecision.Run : TriggerDecision.Skip;
            case TriggerRule.AllSkipped:
                return success + failed + upstreamFailed > 0 ? TriggerDecision.Skip
                    : skipped + upstream.Removed >= total ? TriggerDecision.Run
                    : TriggerDecision.Wait;
            case TriggerRule.OneSuccess:
                return success > 0 ? TriggerDecision.Run
                    : !done ? TriggerDecision.Wait
                    : upstream.Done == skipped ? TriggerDecision.Skip
                    : TriggerDecision.UpstreamFailed;
            case TriggerRule.OneFailed:
                return failed + upstreamFailed > 0 ? TriggerDecision.Run
                    : done ? TriggerDecision.Skip
                    : TriggerDecision.Wait;
            case TriggerRule.OneDone:
                return success + failed > 0 ? TriggerDecision.Run
                    : done ? TriggerDecision.Skip
                    : TriggerDecision.Wait;
            case TriggerRule.NoneFailed:
                return failed + upstreamFailed > 0 ? TriggerDecision.UpstreamFailed
                    : done ? TriggerDecision.Run
                    : TriggerDecision.Wait;
            case TriggerRule.NoneFailedMinOneSuccess:
                return failed + upstreamFailed > 0 ? TriggerDecision.UpstreamFailed
                    : skipped >= total ? TriggerDecision.Skip
                    : done ? TriggerDecision.Run
                    : TriggerDecision.Wait;
            case TriggerRule.NoneSkipped:
                return skipped > 0 ? TriggerDecision.Skip
                    : done ? TriggerDecision.Run
                    : TriggerDecision.Wait;
            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown trigger rule.");
        }
    }
}
