using Mlops.Features;
using Mlops.Tracking;

namespace RecommendationEngine;

/// <summary>Logs the feature job as an MLflow-style run: where it read and wrote, and its row counts and timing.</summary>
public static class PrepareTracking
{
    /// <summary>The experiment the sample's runs go to.</summary>
    public const string Experiment = "recommendation_engine";

    /// <summary>Logs one finished prepare run through the host's client and returns its id.</summary>
    public static string LogRun(TrackingClient tracking, string dataDirectory, string outputDirectory, long clicksIn, ParquetWriteResult result, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(tracking);
        var experimentId = tracking.GetOrCreateExperiment(Experiment);
        using var run = tracking.StartRun("prepare_features", experimentId, new Dictionary<string, string> { ["stage"] = "data_preprocessing" });
        run.LogParam("data", Path.GetFullPath(dataDirectory));
        run.LogParam("output", Path.GetFullPath(outputDirectory));
        run.LogParam("feature_columns", string.Join(",", FeatureJob.FeatureColumns));
        run.LogParam("handle_invalid", "skip");
        run.LogMetric("clicks_in", clicksIn);
        run.LogMetric("rows_out", result.Rows);
        run.LogMetric("rows_dropped", clicksIn - result.Rows);
        run.LogMetric("output_bytes", result.Bytes);
        run.LogMetric("seconds", elapsed.TotalSeconds);
        return run.RunId;
    }
}
