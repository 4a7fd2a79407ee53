namespace Mlops.Storage;

/// <summary>
/// A resolved location: the <see cref="BlobStore"/> that holds it and the path within that store.
/// Produced by <see cref="StorageResolver.Resolve(string)"/> from a local path, a <c>file://</c> URI, a
/// <c>wasbs://container@account.blob.core.windows.net/path</c> URI (as MLflow writes it) or an https
/// blob URL.
/// </summary>
/// <param name="Store">The store that holds the location.</param>
/// <param name="Path">The path within the store, '/'-separated, without a leading '/'.</param>
public sealed record StorageLocation(BlobStore Store, string Path)
{
    /// <summary>The location's display form (a local path or a URL), for messages.</summary>
    public override string ToString() => Store.Describe(Path);

    /// <summary>A location under this one: <c>Path + "/" + relative</c>.</summary>
    public StorageLocation Combine(string relative) =>
        this with { Path = Path.Length == 0 ? relative.TrimStart('/') : Path.TrimEnd('/') + "/" + relative.TrimStart('/') };
}
