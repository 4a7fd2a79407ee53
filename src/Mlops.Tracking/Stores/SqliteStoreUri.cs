namespace Mlops.Tracking.Stores;

/// <summary>Parses MLflow-style SQLite URIs: <c>sqlite:///relative.db</c> and <c>sqlite:////absolute/path.db</c>.</summary>
internal static class SqliteStoreUri
{
    public const string Scheme = "sqlite://";

    public static bool IsSqlite(string uri) => uri.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    public static string ToPath(string uri)
    {
        if (!IsSqlite(uri))
        {
            return uri;
        }

        var rest = uri[Scheme.Length..];
        if (!rest.StartsWith('/') || rest.Length < 2)
        {
            throw MlflowException.InvalidParameter($"Invalid SQLite tracking URI '{uri}'. Expected sqlite:///relative/path.db or sqlite:////absolute/path.db.");
        }

        // After "sqlite://" comes an empty host and "/"; what follows is the path, absolute if it starts with '/'.
        var path = rest[1..];
        return Path.GetFullPath(path);
    }
}
