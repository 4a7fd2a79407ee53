namespace Mlops.Tracking.Stores;

/// <summary>Opens the store a tracking URI names.</summary>
public static class TrackingStores
{
    /// <summary>
    /// Opens a store: <c>sqlite:///path.db</c> or a path ending in <c>.db</c>/<c>.sqlite</c> gives a <see cref="SqliteTrackingStore"/>.
    /// </summary>
    /// <exception cref="MlflowException">The URI's scheme is not supported (INVALID_PARAMETER_VALUE).</exception>
    public static ITrackingStore Open(string trackingUri, string? defaultArtifactRoot = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trackingUri);
        if (SqliteStoreUri.IsSqlite(trackingUri) || trackingUri.EndsWith(".db", StringComparison.OrdinalIgnoreCase) || trackingUri.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteTrackingStore(trackingUri, defaultArtifactRoot, timeProvider);
        }

        if (HttpStoreFactory is { } factory && (trackingUri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || trackingUri.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
        {
            return factory(trackingUri);
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

        return HttpRegistryFactory?.Invoke(trackingUri);
    }

    /// <summary>Opens registries at http(s) tracking URIs (set by the REST store's package); null until then.</summary>
    internal static Func<string, Registry.IModelRegistryStore>? HttpRegistryFactory { get; set; }

    /// <summary>Opens http(s) tracking URIs (set by the REST store's package); null until then.</summary>
    internal static Func<string, ITrackingStore>? HttpStoreFactory { get; set; }
}
