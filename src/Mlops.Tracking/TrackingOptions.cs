using System.ComponentModel.DataAnnotations;
using Mlops.Data;

namespace Mlops.Tracking;

/// <summary>
/// Options of the tracking client and its stores, bound from the <c>Mlops:Tracking</c> configuration section by
/// <c>services.AddMlops(configuration).AddTracking()</c> and validated when the host starts.
/// </summary>
public sealed class TrackingOptions
{
    /// <summary>The name of the section under <c>Mlops</c> these options are bound from (<c>Mlops:Tracking</c>).</summary>
    public const string SectionName = "Tracking";

    /// <summary>The tracking URI: <c>sqlite:///path/mlflow.db</c> (the default) or <c>http(s)://host:port</c> of an MLflow server.</summary>
    [Required]
    public string TrackingUri { get; set; } = "sqlite:///mlruns.db";

    /// <summary>Where new experiments put artifacts (a folder or <c>wasbs://</c> URI); beside the database if null.</summary>
    public string? DefaultArtifactRoot { get; set; }

    /// <summary>How much a committed write to a SQLite tracking URI survives; a crash of the process by default.</summary>
    public SqliteDurability Durability { get; set; } = SqliteDurability.ProcessCrash;

    /// <summary>How long a write to a SQLite tracking URI waits for another process's lock; 60 seconds by default.</summary>
    public TimeSpan BusyTimeout { get; set; } = SqliteDatabase.DefaultBusyTimeout;

    /// <summary>Metrics, params and tags the async logger holds before <c>Log</c> calls wait (back-pressure).</summary>
    [Range(1, 10_000_000)]
    public int AsyncQueueCapacity { get; set; } = 100_000;

    /// <summary>How long the async logger waits to fill a batch before sending what it has.</summary>
    public TimeSpan AsyncFlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);
}
