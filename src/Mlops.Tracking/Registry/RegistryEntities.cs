namespace Mlops.Tracking.Registry;

/// <summary>A registered model: a name under which versions of a model are kept, with tags and aliases.</summary>
/// <param name="Name">The unique name.</param>
/// <param name="CreationTimestamp">Milliseconds since the Unix epoch.</param>
/// <param name="LastUpdatedTimestamp">Milliseconds since the Unix epoch.</param>
/// <param name="Description">Free text.</param>
/// <param name="Tags">The model's tags.</param>
/// <param name="Aliases">Alias → version number.</param>
/// <param name="LatestVersion">The highest existing version, if any.</param>
public sealed record RegisteredModel(
    string Name,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    string Description,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyDictionary<string, string> Aliases,
    string? LatestVersion);

/// <summary>The status of a model version (MLflow's ModelVersionStatus).</summary>
public enum ModelVersionStatus
{
    /// <summary>Being registered.</summary>
    PendingRegistration,

    /// <summary>Registration failed.</summary>
    FailedRegistration,

    /// <summary>Ready to use.</summary>
    Ready,
}

/// <summary>One version of a registered model.</summary>
/// <param name="Name">The registered model's name.</param>
/// <param name="Version">The version number as a string ("1", "2", ...), as MLflow sends it.</param>
/// <param name="CreationTimestamp">Milliseconds since the Unix epoch.</param>
/// <param name="LastUpdatedTimestamp">Milliseconds since the Unix epoch.</param>
/// <param name="Description">Free text.</param>
/// <param name="Source">Where the model lives: <c>runs:/&lt;run_id&gt;/&lt;path&gt;</c> or an artifact URI.</param>
/// <param name="RunId">The run that produced it, if known.</param>
/// <param name="Status">Its status.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="Aliases">The aliases that point at it.</param>
public sealed record ModelVersion(
    string Name,
    string Version,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    string Description,
    string Source,
    string RunId,
    ModelVersionStatus Status,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> Aliases);

/// <summary>MLflow's rules for registered model names and aliases.</summary>
public static class RegistryNames
{
    /// <summary>Checks a registered model name: not empty, at most <see cref="RegistryLimits.MaxNameLength"/> characters, no '/', '@' or ':' (they would make <c>models:/</c> URIs ambiguous), no control characters.</summary>
    /// <exception cref="MlflowException">The name is invalid (INVALID_PARAMETER_VALUE).</exception>
    public static void ValidateModelName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw MlflowException.InvalidParameter("Registered model name cannot be empty.");
        }

        if (name.Length > RegistryLimits.MaxNameLength)
        {
            throw MlflowException.InvalidParameter(
                $"Registered model name '{name[..20]}...' had length {name.Length}, which exceeded length limit of {RegistryLimits.MaxNameLength}.");
        }

        // Control characters (NUL above all) would let one name print as another and break the files named after it.
        if (name.IndexOfAny(['/', '@', ':']) >= 0 || name.Any(char.IsControl))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid registered model name '{name}'. Names may not contain '/', '@', ':' or control characters.");
        }
    }

    /// <summary>
    /// Checks an alias as MLflow does: letters, digits, '_' and '-' only, at most 255 characters; <c>latest</c> (any case)
    /// and version-like names (<c>v1</c>, <c>V12</c>) are reserved.
    /// </summary>
    /// <exception cref="MlflowException">The alias is invalid or reserved (INVALID_PARAMETER_VALUE).</exception>
    public static void ValidateAlias(string alias)
    {
        if (string.IsNullOrEmpty(alias) || alias.Length > 255 || !alias.All(c => char.IsLetterOrDigit(c) || c is '_' or '-'))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-), and are at most 255 characters.");
        }

        if (alias.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            throw MlflowException.InvalidParameter("'latest' alias name (case insensitive) is reserved.");
        }

        if (alias.Length > 1 && alias[0] is 'v' or 'V' && alias[1..].All(char.IsAsciiDigit))
        {
            throw MlflowException.InvalidParameter($"Version alias name '{alias}' is reserved.");
        }
    }

    /// <summary>Parses a version number ("3"); throws naming it if it is not a positive integer.</summary>
    public static long ParseVersion(string version) =>
        long.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw MlflowException.InvalidParameter($"Invalid model version '{version}'. Versions are positive integers.");
}
