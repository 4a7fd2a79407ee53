namespace Mlops.Tracking;

/// <summary>MLflow's limits on what one request or entity may hold; stores and servers enforce them, clients split by them.</summary>
public static class TrackingLimits
{
    /// <summary>Most metrics in one log-batch request.</summary>
    public const int MaxMetricsPerBatch = 1000;

    /// <summary>Most params in one log-batch request.</summary>
    public const int MaxParamsPerBatch = 100;

    /// <summary>Most tags in one log-batch request.</summary>
    public const int MaxTagsPerBatch = 100;

    /// <summary>Most metrics, params and tags together in one log-batch request.</summary>
    public const int MaxEntitiesPerBatch = 1000;

    /// <summary>Longest key of a metric, param or tag.</summary>
    public const int MaxKeyLength = 250;

    /// <summary>Longest param value.</summary>
    public const int MaxParamValueLength = 6000;

    /// <summary>Longest tag value.</summary>
    public const int MaxTagValueLength = 8000;

    /// <summary>Longest run name, also as the <c>mlflow.runName</c> tag: 250 (the <c>runs.name</c> column of MLflow's SQL schema).</summary>
    public const int MaxRunNameLength = 250;

    /// <summary>Longest user id of a run: 256 (the <c>runs.user_id</c> column of MLflow's SQL schema).</summary>
    public const int MaxUserIdLength = 256;

    /// <summary>Most results one search page may hold.</summary>
    public const int MaxResultsPerPage = 50000;

    /// <summary>Results per search page when the caller does not say.</summary>
    public const int DefaultSearchRunsResults = 1000;
}
