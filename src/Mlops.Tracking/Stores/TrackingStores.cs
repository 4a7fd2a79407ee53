using Mlops.Data;

namespace Mlops.Tracking.Stores;

/// <summary>Opens the store a tracking URI names.</summary>
public static class TrackingStores
{
    /// <summary>
    /// Opens a store: <c>sqlite:///path.db</c> or a path ending in <c>.db</c>/<c>.sqlite</c> gives a <see cref="SqliteTrackingStore"/>; <c>http(s)://host:port</c> a <see cref="Rest.RestTrackingStore"/>.
    /// </summary>
    /// <exception cref="MlflowException">The URI's scheme is not supported (INVALID_PARAMETER_VALUE).</exception>
    /// <param name="trackingUri">The store's URI.</param>
    /// <param name="defaultArtifactRoot">Where new experiments put artifacts; beside the database if null.</param>
    /// <param name="timeProvider">The clock for run times.</param>
    /// <param name="durability">How much a committed SQLite write survives.</param>
    /// <param name="busyTimeout">How long a SQLite write waits for another process's lock; 60 seconds if null.</param>
    /// <returns>The store.</returns>
    public static ITrackingStore Open(string trackingUri, string? defaultArtifactRoot = null, TimeProvider? timeProvider = null, SqliteDurability durability = SqliteDurability.ProcessCrash, TimeSpan? busyTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trackingUri);
        if (SqliteStoreUri.IsSqlite(trackingUri) || trackingUri.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || trackingUri.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteTrackingStore(trackingUri, defaultArtifactRoot, timeProvider, durability, busyTimeout);
        }

        if (IsHttp(trackingUri))
        {
            return new Rest.RestTrackingStore(trackingUri, timeProvider: timeProvider);
        }

        throw MlflowException.InvalidParameter(
            $"Unsupported tracking URI '{trackingUri}'. Use sqlite:///path/to/mlflow.db or http(s)://host:port.");
    }

    /// <summary>Opens the model registry a tracking URI names (the same SQLite file), or null if the URI has none.</summary>
    /// <param name="trackingUri">The store's URI.</param>
    /// <param name="timeProvider">The clock for timestamps.</param>
    /// <param name="durability">How much a committed SQLite write survives.</param>
    /// <param name="busyTimeout">How long a SQLite write waits for another process's lock; 60 seconds if null.</param>
    /// <returns>The registry store, or null.</returns>
    public static Registry.IModelRegistryStore? OpenRegistry(string trackingUri, TimeProvider? timeProvider = null, SqliteDurability durability = SqliteDurability.ProcessCrash, TimeSpan? busyTimeout = null)
    {
        if (SqliteStoreUri.IsSqlite(trackingUri) || trackingUri.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || trackingUri.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return new Registry.SqliteModelRegistryStore(trackingUri, timeProvider, durability, busyTimeout);
        }

        return IsHttp(trackingUri) ? new Rest.RestModelRegistryStore(trackingUri, timeProvider: timeProvider) : null;
    }

    private static bool IsHttp(string uri) =>
        uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
