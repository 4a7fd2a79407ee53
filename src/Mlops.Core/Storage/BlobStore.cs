namespace Mlops.Storage;

/// <summary>
/// A flat namespace of files ("blobs") addressed by '/'-separated paths relative to the store's root.
/// One abstraction serves the local file system and Azure Blob Storage so that every package reads
/// and writes data, artifacts and models the same way wherever they live.
/// </summary>
/// <remarks>
/// <para>Writes are atomic: a reader never observes a half-written blob. A write goes through a
/// <see cref="BlobWriteStream"/> that becomes visible only when <see cref="BlobWriteStream.Commit"/>
/// (or <see cref="BlobWriteStream.CommitAsync"/>) returns; disposing the stream without committing
/// discards what was written.</para>
/// <para>Following the Azure SDK guidelines, every operation is virtual and has a sync and an async
/// twin, and there is a protected parameterless constructor so that consumers can mock a store.</para>
/// </remarks>
public abstract class BlobStore
{
    /// <summary>Initializes a new instance for mocking or for derived stores.</summary>
    protected BlobStore()
    {
    }

    /// <summary>A URI naming the root of this store (e.g. <c>file:///data/</c> or the container URL).</summary>
    public abstract Uri RootUri { get; }

    /// <summary>Opens a blob for reading.</summary>
    /// <param name="path">The blob's path relative to the store root.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <exception cref="BlobNotFoundException">The blob does not exist.</exception>
    public abstract Stream OpenRead(string path, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="OpenRead"/>
    public abstract Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a stream that writes a blob atomically: the content becomes visible when the stream is
    /// committed, replacing any existing blob at <paramref name="path"/> if <paramref name="overwrite"/> is true.
    /// </summary>
    /// <param name="path">The blob's path relative to the store root.</param>
    /// <param name="overwrite">Whether an existing blob may be replaced; if false and the blob exists, the commit fails with <see cref="BlobAlreadyExistsException"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public abstract BlobWriteStream OpenWrite(string path, bool overwrite = true, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="OpenWrite"/>
    public abstract Task<BlobWriteStream> OpenWriteAsync(string path, bool overwrite = true, CancellationToken cancellationToken = default);

    /// <summary>Lists the blobs whose paths start with <paramref name="prefix"/>, recursively, ordered by path.</summary>
    /// <param name="prefix">A path prefix; a folder is listed by passing its path followed by '/'. Empty lists the whole store.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public abstract IEnumerable<BlobInfo> List(string prefix, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="List"/>
    public abstract IAsyncEnumerable<BlobInfo> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Returns the blob's properties, or <see langword="null"/> if it does not exist.</summary>
    public abstract BlobInfo? GetInfo(string path, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="GetInfo"/>
    public abstract Task<BlobInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Whether a blob exists at <paramref name="path"/>.</summary>
    public virtual bool Exists(string path, CancellationToken cancellationToken = default) => GetInfo(path, cancellationToken) is not null;

    /// <inheritdoc cref="Exists"/>
    public virtual async Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) =>
        await GetInfoAsync(path, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Deletes a blob. Returns false if it did not exist.</summary>
    public abstract bool Delete(string path, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="Delete"/>
    public abstract Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Deletes every blob under a prefix (a "folder"). Returns how many were deleted.</summary>
    public abstract int DeletePrefix(string prefix, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="DeletePrefix"/>
    public abstract Task<int> DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves every blob under <paramref name="sourcePrefix"/> to the same relative path under
    /// <paramref name="destinationPrefix"/>. On the local file system this is one directory rename, so
    /// it is atomic; on blob storage each blob is copied server-side and then deleted.
    /// </summary>
    /// <exception cref="BlobAlreadyExistsException">Something already exists under the destination.</exception>
    public abstract void MovePrefix(string sourcePrefix, string destinationPrefix, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MovePrefix"/>
    public abstract Task MovePrefixAsync(string sourcePrefix, string destinationPrefix, CancellationToken cancellationToken = default);

    /// <summary>A display form of a blob's location (a local path or a URL) for messages.</summary>
    public abstract string Describe(string path);
}
