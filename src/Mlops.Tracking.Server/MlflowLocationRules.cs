using System.Text.Json.Nodes;
using Mlops.Tracking.Rest;
using Mlops.Tracking.Stores;

namespace Mlops.Tracking.Server;

/// <summary>
/// What the server accepts as an experiment's <c>artifact_location</c> and a model version's <c>source</c>, the places
/// clients later read from and write to, following MLflow's server (<c>mlflow/server/handlers.py</c>): no <c>..</c>
/// path segments anywhere (also percent-encoded); an artifact location must be a remote store URI, because a local
/// path or <c>file:</c> URI named by a remote client would point the server and its other clients at files of the
/// server's machine (omit it to get a folder under the server's default artifact root); a local source must lie inside
/// the artifacts of the run named by <c>run_id</c> (MLflow's <c>_validate_source</c>).
/// </summary>
internal static class MlflowLocationRules
{
    /// <summary>The schemes of artifact stores the server accepts for <c>artifact_location</c>.</summary>
    public static readonly IReadOnlySet<string> RemoteSchemes = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "s3", "gs", "wasbs", "wasb", "abfss", "abfs", "hdfs", "viewfs", "dbfs", "mlflow-artifacts", "http", "https", "ftp", "sftp",
    };

    public static void CheckArtifactLocation(string? location)
    {
        if (string.IsNullOrEmpty(location))
        {
            return;
        }

        RefuseTraversal("artifact_location", location);
        var scheme = Scheme(location);
        if (scheme is null || !RemoteSchemes.Contains(scheme))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value '{Shorten(location)}' for parameter 'artifact_location': the server accepts only artifact store URIs ({string.Join(", ", RemoteSchemes.Order(StringComparer.Ordinal).Select(s => s + ":"))}), " +
                "not local paths, file: or runs: URIs; omit it to store artifacts under the server's default artifact root.");
        }
    }

    public static async Task CheckSourceAsync(JsonObject request, ITrackingStore tracking, CancellationToken cancellationToken)
    {
        if (MlflowJson.Str(request, "source") is not { Length: > 0 } source)
        {
            return;
        }

        RefuseTraversal("source", source);
        var scheme = Scheme(source);
        if (scheme is not null && !scheme.Equals("file", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var localPath = scheme is null ? source : new Uri(source).LocalPath;
        var runId = MlflowJson.Str(request, "run_id");
        if (string.IsNullOrEmpty(runId))
        {
            throw LocalSourceRefused(source);
        }

        var artifacts = (await tracking.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)).Info.ArtifactUri;
        var artifactScheme = Scheme(artifacts);
        if (artifactScheme is not null && !artifactScheme.Equals("file", StringComparison.OrdinalIgnoreCase))
        {
            throw LocalSourceRefused(source);
        }

        var root = Path.GetFullPath(artifactScheme is null ? artifacts : new Uri(artifacts).LocalPath).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(localPath);
        if (!(full + Path.DirectorySeparatorChar).StartsWith(root, StringComparison.Ordinal))
        {
            throw LocalSourceRefused(source);
        }
    }

    private static MlflowException LocalSourceRefused(string source) => MlflowException.InvalidParameter(
        $"Invalid model version source: '{Shorten(source)}' (parameter 'source'). To use a local path as a model version source, the run_id request parameter has to be specified " +
        "and the local path has to be contained within the artifact directory of the run specified by the run_id.");

    /// <summary>The URI scheme, or null for a local path (a Windows drive letter is a path, not a scheme).</summary>
    private static string? Scheme(string location)
    {
        var colon = location.IndexOf(':', StringComparison.Ordinal);
        if (colon < 2)
        {
            return null;
        }

        var scheme = location[..colon];
        return scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.') && char.IsAsciiLetter(scheme[0]) ? scheme : null;
    }

    private static void RefuseTraversal(string field, string value)
    {
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            decoded = value;
        }

        if (decoded.Split('/', '\\').Any(segment => segment == "..") || decoded.Contains('\0', StringComparison.Ordinal))
        {
            throw MlflowException.InvalidParameter($"Invalid value '{Shorten(value)}' for parameter '{field}': '..' path segments are not allowed.");
        }
    }

    private static string Shorten(string value) => value.Length <= 200 ? value : value[..200] + "...";
}
