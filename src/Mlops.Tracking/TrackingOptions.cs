using System.ComponentModel.DataAnnotations;

namespace Mlops.Tracking;

/// <summary>Options of the tracking client, bound from the <c>Mlops:Tracking</c> configuration section.</summary>
public sealed class TrackingOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Mlops:Tracking";

    /// <summary>The tracking URI: <c>sqlite:///path/mlflow.db</c> (the default) or <c>http(s)://host:port</c> of an MLflow server.</summary>
    [Required]
    public string TrackingUri { get; set; } = "sqlite:///mlruns.db";

    /// <summary>Where new experiments put artifacts (a folder or <c>wasbs://</c> URI); beside the database if null.</summary>
    public string? DefaultArtifactRoot { get; set; }

    /// <summary>Metrics, params and tags the async logger holds before <c>Log</c> calls wait (back-pressure).</summary>
    [Range(1, 10_000_000)]
    public int AsyncQueueCapacity { get; set; } = 100_000;

    /// <summary>How long the async logger waits to fill a batch before sending what it has.</summary>
    public TimeSpan AsyncFlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);
}
