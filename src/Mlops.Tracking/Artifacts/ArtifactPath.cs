namespace Mlops.Tracking.Artifacts;

/// <summary>Checks and normalises artifact paths: relative, '/'-separated, never escaping the run's artifact root.</summary>
public static class ArtifactPath
{
    /// <summary>The normalised path ("" for the root).</summary>
    /// <exception cref="MlflowException">The path is absolute or climbs out with '..' (INVALID_PARAMETER_VALUE).</exception>
    public static string Normalize(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "";
        }

        var unified = path.Replace('\\', '/');
        if (unified.StartsWith('/') || (unified.Length >= 2 && unified[1] == ':') || unified.Contains("://", StringComparison.Ordinal))
        {
            throw MlflowException.InvalidParameter($"Invalid artifact path '{path}': absolute paths are not allowed; use a path relative to the run's artifact root.");
        }

        var segments = new List<string>();
        foreach (var segment in unified.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                throw MlflowException.InvalidParameter($"Invalid artifact path '{path}': '..' would leave the run's artifact root.");
            }

            segments.Add(segment);
        }

        return string.Join('/', segments);
    }

    /// <summary>Joins two relative paths, both normalised.</summary>
    public static string Join(string? first, string? second)
    {
        var a = Normalize(first);
        var b = Normalize(second);
        return a.Length == 0 ? b : b.Length == 0 ? a : a + "/" + b;
    }
}

/// <summary>An entry of an artifact listing: a file with its size, or a folder.</summary>
/// <param name="Path">The path relative to the run's artifact root.</param>
/// <param name="IsDirectory">True for a folder.</param>
/// <param name="FileSize">The size in bytes of a file; null for a folder.</param>
public sealed record ArtifactFileInfo(string Path, bool IsDirectory, long? FileSize);
