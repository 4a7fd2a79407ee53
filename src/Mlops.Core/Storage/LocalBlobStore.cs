using System.Runtime.CompilerServices;

namespace Mlops.Storage;

/// <summary>
/// A <see cref="BlobStore"/> over a folder of the local file system. Writes go to a hidden temporary file
/// next to the destination, are flushed to disk, and are renamed into place on commit, so readers never
/// see partial files and a committed write survives a crash of the process.
/// </summary>
public class LocalBlobStore : BlobStore
{
    private readonly string _root;

    /// <summary>Creates a store rooted at <paramref name="rootDirectory"/> (created on first write if missing).</summary>
    public LocalBlobStore(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        _root = Path.GetFullPath(rootDirectory);
        RootUri = new Uri(Path.EndsInDirectorySeparator(_root) ? _root : _root + Path.DirectorySeparatorChar);
    }

    /// <summary>For mocking.</summary>
    protected LocalBlobStore()
    {
        _root = Path.GetFullPath(".");
        RootUri = new Uri(_root + Path.DirectorySeparatorChar);
    }

    /// <inheritdoc/>
    public override Uri RootUri { get; }

    /// <summary>The absolute root folder.</summary>
    public string RootDirectory => _root;

    /// <summary>The absolute file-system path of a blob path.</summary>
    public string GetFullPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(Path.Combine(_root, path.TrimStart('/')));

        // Compare with the separator appended: root "/data/a" must not admit "/data/ab".
        var rootWithSeparator = Path.EndsInDirectorySeparator(_root) ? _root : _root + Path.DirectorySeparatorChar;
        if (!(full + Path.DirectorySeparatorChar).StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Path '{path}' escapes the store root '{_root}'.", nameof(path));
        }

        return full;
    }

    /// <inheritdoc/>
    public override string Describe(string path) => GetFullPath(path);

    /// <inheritdoc/>
    public override Stream OpenRead(string path, CancellationToken cancellationToken = default)
    {
        var full = GetFullPath(path);
        try
        {
            return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(full, e);
        }
    }

    /// <inheritdoc/>
    public override Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var full = GetFullPath(path);
        try
        {
            return Task.FromResult<Stream>(new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(full, e);
        }
    }

    /// <inheritdoc/>
    public override BlobWriteStream OpenWrite(string path, bool overwrite = true, CancellationToken cancellationToken = default) =>
        new LocalBlobWriteStream(GetFullPath(path), overwrite);

    /// <inheritdoc/>
    public override Task<BlobWriteStream> OpenWriteAsync(string path, bool overwrite = true, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<BlobWriteStream>(new LocalBlobWriteStream(GetFullPath(path), overwrite));
    }

    /// <inheritdoc/>
    public override IEnumerable<BlobInfo> List(string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        prefix = prefix.TrimStart('/');

        // Enumerate the deepest folder the prefix names, then filter on the full prefix. The folder is
        // resolved here, not in the iterator, so that a prefix escaping the root fails at the call.
        var slash = prefix.LastIndexOf('/');
        var folder = slash < 0 ? _root : GetFullPath(prefix[..slash]);
        return ListFiles(folder, prefix, cancellationToken);
    }

    private IEnumerable<BlobInfo> ListFiles(string folder, string prefix, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0 };
        var found = new List<BlobInfo>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (!relative.StartsWith(prefix, StringComparison.Ordinal) || LocalBlobWriteStream.IsTemporary(relative))
            {
                continue;
            }

            var info = new FileInfo(file);
            found.Add(new BlobInfo(relative, info.Length, info.LastWriteTimeUtc));
        }

        found.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        foreach (var item in found)
        {
            yield return item;
        }
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<BlobInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var item in List(prefix, cancellationToken))
        {
            yield return item;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override BlobInfo? GetInfo(string path, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(GetFullPath(path));
        return info.Exists ? new BlobInfo(path.TrimStart('/'), info.Length, info.LastWriteTimeUtc) : null;
    }

    /// <inheritdoc/>
    public override Task<BlobInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default) =>
        Task.FromResult(GetInfo(path, cancellationToken));

    /// <inheritdoc/>
    public override bool Delete(string path, CancellationToken cancellationToken = default)
    {
        var full = GetFullPath(path);
        if (!File.Exists(full))
        {
            return false;
        }

        File.Delete(full);
        return true;
    }

    /// <inheritdoc/>
    public override Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) =>
        Task.FromResult(Delete(path, cancellationToken));

    /// <inheritdoc/>
    public override int DeletePrefix(string prefix, CancellationToken cancellationToken = default)
    {
        var count = 0;
        foreach (var item in List(prefix, cancellationToken).ToList())
        {
            count += Delete(item.Path, cancellationToken) ? 1 : 0;
        }

        // A folder prefix ("a/b/" or "a/b") also removes the folder itself once empty.
        var folder = GetFullPath(prefix.TrimEnd('/'));
        if (Directory.Exists(folder) && prefix.Length > 0)
        {
            Directory.Delete(folder, recursive: true);
        }

        return count;
    }

    /// <inheritdoc/>
    public override Task<int> DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default) =>
        Task.FromResult(DeletePrefix(prefix, cancellationToken));

    /// <inheritdoc/>
    public override void MovePrefix(string sourcePrefix, string destinationPrefix, CancellationToken cancellationToken = default)
    {
        var source = GetFullPath(sourcePrefix.TrimEnd('/'));
        var destination = GetFullPath(destinationPrefix.TrimEnd('/'));
        if (File.Exists(destination) || (Directory.Exists(destination) && Directory.EnumerateFiles(destination, "*", SearchOption.AllDirectories).Any()))
        {
            throw new BlobAlreadyExistsException(destination);
        }

        if (Directory.Exists(source) && Directory.Exists(destination))
        {
            // An empty destination folder holds no blobs, as on blob storage; it must go for the rename to succeed.
            Directory.Delete(destination, recursive: true);
        }

        if (!Directory.Exists(source))
        {
            throw new BlobNotFoundException(source);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);

        // One rename(2): atomic on a POSIX file system, so readers see all of the folder or none of it.
        Directory.Move(source, destination);
    }

    /// <inheritdoc/>
    public override Task MovePrefixAsync(string sourcePrefix, string destinationPrefix, CancellationToken cancellationToken = default)
    {
        MovePrefix(sourcePrefix, destinationPrefix, cancellationToken);
        return Task.CompletedTask;
    }
}
