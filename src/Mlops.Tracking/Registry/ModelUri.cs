namespace Mlops.Tracking.Registry;

/// <summary>The kinds of model URI <see cref="ModelUri"/> understands.</summary>
public enum ModelUriKind
{
    /// <summary><c>runs:/&lt;run_id&gt;/&lt;path&gt;</c></summary>
    Run,

    /// <summary><c>models:/&lt;name&gt;/&lt;version&gt;</c> (or <c>/latest</c>)</summary>
    Version,

    /// <summary><c>models:/&lt;name&gt;@&lt;alias&gt;</c></summary>
    Alias,

    /// <summary>Any other URI or path: an artifact location used as is.</summary>
    Location,
}

/// <summary>A parsed model URI.</summary>
/// <param name="Kind">Which form it is.</param>
/// <param name="RunId">For <see cref="ModelUriKind.Run"/>.</param>
/// <param name="Path">For <see cref="ModelUriKind.Run"/>: the artifact path in the run ("" for its root).</param>
/// <param name="Name">For registry URIs: the registered model name.</param>
/// <param name="VersionOrAlias">For registry URIs: the version number, "latest", or the alias.</param>
/// <param name="Original">The URI as given.</param>
public sealed record ModelUri(ModelUriKind Kind, string? RunId, string? Path, string? Name, string? VersionOrAlias, string Original)
{
    /// <summary>Parses <c>runs:/</c>, <c>models:/</c> URIs; anything else is a <see cref="ModelUriKind.Location"/>.</summary>
    /// <exception cref="MlflowException">A runs:/ or models:/ URI is malformed (INVALID_PARAMETER_VALUE), naming it.</exception>
    public static ModelUri Parse(string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        if (uri.StartsWith("runs:", StringComparison.Ordinal))
        {
            if (!TryParseRunsUri(uri, out var runId, out var path))
            {
                throw MlflowException.InvalidParameter($"Invalid runs URI '{uri}'. Expected runs:/<run_id>/<artifact path>.");
            }

            return new ModelUri(ModelUriKind.Run, runId, path, null, null, uri);
        }

        if (uri.StartsWith("models:", StringComparison.Ordinal))
        {
            var rest = uri["models:".Length..];
            if (!rest.StartsWith('/') || rest.StartsWith("//", StringComparison.Ordinal))
            {
                throw InvalidModelsUri(uri);
            }

            rest = rest[1..].TrimEnd('/');
            var at = rest.LastIndexOf('@');
            var slash = rest.IndexOf('/');
            if (at > 0 && slash < 0)
            {
                var alias = rest[(at + 1)..];
                if (alias.Length == 0)
                {
                    throw InvalidModelsUri(uri);
                }

                return new ModelUri(ModelUriKind.Alias, null, null, rest[..at], alias, uri);
            }

            if (slash > 0 && slash == rest.LastIndexOf('/') && slash < rest.Length - 1)
            {
                var version = rest[(slash + 1)..];
                if (!version.Equals("latest", StringComparison.OrdinalIgnoreCase) && !version.All(char.IsAsciiDigit))
                {
                    throw MlflowException.InvalidParameter(
                        $"Invalid model version '{version}' in '{uri}'. Use a version number, 'latest', or an alias as models:/<name>@<alias> (stages are deprecated).");
                }

                return new ModelUri(ModelUriKind.Version, null, null, rest[..slash], version, uri);
            }

            throw InvalidModelsUri(uri);
        }

        return new ModelUri(ModelUriKind.Location, null, null, null, null, uri);
    }

    /// <summary>Splits <c>runs:/&lt;run_id&gt;/&lt;path&gt;</c> into run id and path.</summary>
    public static bool TryParseRunsUri(string uri, out string runId, out string path)
    {
        runId = "";
        path = "";
        if (!uri.StartsWith("runs:/", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = uri["runs:/".Length..].TrimStart('/');
        var slash = rest.IndexOf('/');
        runId = slash < 0 ? rest : rest[..slash];
        path = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        return runId.Length > 0 && runId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
    }

    private static MlflowException InvalidModelsUri(string uri) => MlflowException.InvalidParameter(
        $"Not a proper models:/ URI: '{uri}'. Models URIs must be of the form 'models:/model_name/version' or 'models:/model_name@alias'.");
}
