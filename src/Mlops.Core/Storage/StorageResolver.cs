namespace Mlops.Storage;

/// <summary>
/// Turns a location string into a <see cref="StorageLocation"/>: a local path or <c>file://</c> URI maps to a
/// <see cref="LocalBlobStore"/>; blob-storage URIs map to the Azure store configured for their account.
/// </summary>
public class StorageResolver
{
    /// <summary>A resolver for local paths only; replaced by hosts that configure Azure Blob Storage.</summary>
    public static StorageResolver Default { get; set; } = new();

    /// <summary>Resolves a location string.</summary>
    /// <param name="location">A local path, <c>file://</c> URI, <c>wasbs://</c>/<c>abfss://</c> URI or https blob URL.</param>
    /// <exception cref="ArgumentException">The location is empty or its scheme is not supported.</exception>
    public virtual StorageLocation Resolve(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        if (location.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            location = new Uri(location).LocalPath;
        }
        else if (location.Contains("://", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Storage location '{location}' has a scheme this resolver does not handle.", nameof(location));
        }

        var full = Path.GetFullPath(location);
        var root = Path.GetPathRoot(full)!;
        return new StorageLocation(new LocalBlobStore(root), Path.GetRelativePath(root, full).Replace(Path.DirectorySeparatorChar, '/') is "." ? string.Empty : Path.GetRelativePath(root, full).Replace(Path.DirectorySeparatorChar, '/'));
    }
}
