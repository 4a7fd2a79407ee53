namespace Mlops.Tracking;

/// <summary>Splits any number of metrics, params and tags into requests within MLflow's batch limits.</summary>
internal static class BatchSplitter
{
    public static IEnumerable<(IReadOnlyList<RunMetric> Metrics, IReadOnlyList<Param> Params, IReadOnlyList<RunTag> Tags)> Split(
        IReadOnlyList<RunMetric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<RunTag> tags)
    {
        int m = 0, p = 0, t = 0;
        do
        {
            // Params first: a refused change of a param should stop the batch before the rest is written.
            var paramCount = Math.Min(TrackingLimits.MaxParamsPerBatch, parameters.Count - p);
            var tagCount = Math.Min(TrackingLimits.MaxTagsPerBatch, tags.Count - t);
            var metricCount = Math.Min(Math.Min(TrackingLimits.MaxMetricsPerBatch, TrackingLimits.MaxEntitiesPerBatch - paramCount - tagCount), metrics.Count - m);
            yield return (Slice(metrics, m, metricCount), Slice(parameters, p, paramCount), Slice(tags, t, tagCount));
            m += metricCount;
            p += paramCount;
            t += tagCount;
        }
        while (m < metrics.Count || p < parameters.Count || t < tags.Count);
    }

    private static IReadOnlyList<T> Slice<T>(IReadOnlyList<T> items, int start, int count)
    {
        if (start == 0 && count == items.Count)
        {
            return items;
        }

        var slice = new T[count];
        for (var i = 0; i < count; i++)
        {
            slice[i] = items[start + i];
        }

        return slice;
    }
}
