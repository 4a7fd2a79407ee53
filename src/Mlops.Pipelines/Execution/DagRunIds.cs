using System.Globalization;

namespace Mlops.Pipelines;

/// <summary>Run ids as Airflow writes them: <c>scheduled__2023-01-01T00:00:00+00:00</c>, <c>manual__...</c>, <c>backfill__...</c>.</summary>
public static class DagRunIds
{
    /// <summary>The run id for a run of the given type and logical date.</summary>
    /// <param name="runType">Why the run exists.</param>
    /// <param name="logicalDate">Its logical date (written in UTC).</param>
    /// <returns>The run id.</returns>
    public static string For(DagRunType runType, DateTimeOffset logicalDate)
    {
        var prefix = runType switch
        {
            DagRunType.Scheduled => "scheduled",
            DagRunType.Manual => "manual",
            DagRunType.Backfill => "backfill",
            _ => throw new ArgumentOutOfRangeException(nameof(runType), runType, null),
        };
        return prefix + "__" + logicalDate.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture) + "+00:00";
    }
}
