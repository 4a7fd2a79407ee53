namespace Mlops.Tracking.Stores;

/// <summary>Opens the store a tracking URI names.</summary>
public static class TrackingStores
{
    /// <summary>
    /// Opens a store: <c>sqlite:///path.db</c> or a path ending in <c>.db</c>/<c>.sqlite</c> gives a <see cref="SqliteTrackingStore"/>; <c>http(s)://host:port</c> a <see cref="Rest.RestTrackingStore"/>.
    /// </summary>
    /// <exception cref="MlflowException">The URI's scheme is not supported (INVALID_PARAMETER_VALUE).</exception>
    public static ITrackingStore Open(string trackingUri, string? defaultArtifactRoot = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trackingUri);
        if (SqliteStoreUri.IsSqlite(trackingUri) || trackingUri.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || trackingUri.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteTrackingStore(trackingUri, defaultArtifactRoot, timeProvider);
        }

        if (IsHttp(trackingUri))
        {
            return new Rest.RestTrackingStore(trackingUri, timeProvider: timeProvider);
        }

        throw MlflowException.InvalidParameter(
            $"Unsupported tracking URI '{trackingUri}'. Use sqlite:///path/to/mlflow.db or http(s)://host:port.");
    }

    /// <summary>Opens the model registry a tracking URI names (the same SQLite file), or null if the URI has none.</summary>
    public static Registry.IModelRegistryStore? OpenRegistry(string trackingUri, TimeProvider? timeProvider = null)
    {
        if (SqliteStoreUri.IsSqlite(trackingUri) || trackingUri.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || trackingUri.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return new Registry.SqliteModelRegistryStore(trackingUri, timeProvider);
        }

        return IsHttp(trackingUri) ? new Rest.RestModelRegistryStore(trackingUri, timeProvider: timeProvider) : null;
    }

    private static bool IsHttp(string uri) =>
        uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
