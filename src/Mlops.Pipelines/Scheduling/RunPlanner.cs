namespace Mlops.Pipelines;

/// <summary>Which data intervals of a DAG are due, with Airflow's catch-up rules.</summary>
internal static class RunPlanner
{
    /// <summary>
    /// The next interval to create a scheduled run for after the last one, or null; with catch-up off, skips to the
    /// latest complete interval. <paramref name="wakeUpAt"/> is when the next interval ends when it is not due yet.
    /// </summary>
    public static DataInterval? NextDue(Dag dag, DataInterval? last, DateTimeOffset now, out DateTimeOffset? wakeUpAt)
    {
        wakeUpAt = null;
        if (dag.Schedule is not { } schedule || dag.StartDate is not { } start)
        {
            return null;
        }

        var next = schedule.NextInterval(start, last?.End);
        if (!dag.Catchup && schedule.LatestCompleteInterval(start, now) is { } latest && (next is null || latest.Start > next.Value.Start))
        {
            next = latest;
        }

        if (next is not { } interval || (dag.EndDate is { } end && interval.Start > end))
        {
            return null;
        }

        if (interval.End > now)
        {
            wakeUpAt = interval.End;
            return null;
        }

        return interval;
    }

    /// <summary>The data intervals whose logical date (start) lies in [from, to], for a backfill.</summary>
    public static List<DataInterval> Range(Dag dag, DateTimeOffset from, DateTimeOffset to)
    {
        var schedule = dag.Schedule ?? throw new PipelineException($"DAG '{dag.DagId}' has no schedule, so it has no data intervals to backfill; trigger runs instead.", dag.DagId);
        var start = dag.StartDate!.Value;
        var intervals = new List<DataInterval>();
        var next = schedule.NextInterval(start, from > start ? from : start);
        while (next is { } interval && interval.Start <= to && (dag.EndDate is not { } end || interval.Start <= end))
        {
            intervals.Add(interval);
            if (interval.End <= interval.Start)
            {
                break; // @once
            }

            next = schedule.NextInterval(start, interval.End);
        }

        return intervals;
    }
}
