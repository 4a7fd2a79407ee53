using Mlops.Storage;

namespace Mlops.Tracking.Artifacts;

/// <summary>
/// The artifacts under one root (a run's <c>artifact_uri</c>): a local folder, <c>file://</c> or <c>wasbs://</c> URI,
/// through Mlops.Core's <see cref="BlobStore"/>. Every path is checked by <see cref="ArtifactPath.Normalize"/>, so
/// nothing is read or written outside the root.
/// </summary>
public sealed class ArtifactRepository
{
    private readonly StorageLocation _root;

    /// <summary>Creates a repository for a root URI.</summary>
    /// <param name="artifactUri">The root: a path or a URI the resolver understands.</param>
    /// <param name="resolver">Resolves the URI; <see cref="StorageResolver.Default"/> if null.</param>
    public ArtifactRepository(string artifactUri, StorageResolver? resolver = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(artifactUri);
        ArtifactUri = artifactUri;
        _root = (resolver ?? StorageResolver.Default).Resolve(artifactUri);
    }

    /// <summary>The root URI.</summary>
    public string ArtifactUri { get; }

    /// <summary>Uploads a local file to <c>artifactPath/&lt;file name&gt;</c> (the root if null).</summary>
    public void LogArtifact(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default) =>
        LogArtifactAsync(localFile, artifactPath, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Uploads a local file to <c>artifactPath/&lt;file name&gt;</c> (the root if null).</summary>
    public async Task LogArtifactAsync(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(localFile))
        {
            throw MlflowException.InvalidParameter($"Cannot log artifact '{localFile}': the file does not exist.");
        }

        var target = ArtifactPath.Join(artifactPath, Path.GetFileName(localFile));
        await UploadAsync(localFile, target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Uploads every file under a local folder to <c>artifactPath/</c>, keeping the folder structure.</summary>
    public void LogArtifacts(string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default) =>
        LogArtifactsAsync(localDirectory, artifactPath, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Uploads every file under a local folder to <c>artifactPath/</c>, keeping the folder structure.</summary>
    public async Task LogArtifactsAsync(string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(localDirectory))
        {
            throw MlflowException.InvalidParameter($"Cannot log artifacts from '{localDirectory}': the folder does not exist.");
        }

        var prefix = ArtifactPath.Normalize(artifactPath);
        foreach (var file in Directory.EnumerateFiles(localDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(localDirectory, file).Replace('\\', '/');
            await UploadAsync(file, ArtifactPath.Join(prefix, relative), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes bytes or text produced in memory (a manifest, a plot) to an artifact path.</summary>
    public async Task WriteAsync(string artifactPath, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var target = ArtifactPath.Normalize(artifactPath);
        RequireFilePath(target, artifactPath);
        await using var stream = await _root.Store.OpenWriteAsync(_root.Combine(target).Path, overwrite: true, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
        await stream.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The files and folders directly under a path (the root if null), sorted by path.</summary>
    public IReadOnlyList<ArtifactFileInfo> ListArtifacts(string? path = null, CancellationToken cancellationToken = default)
    {
        var relative = ArtifactPath.Normalize(path);
        var prefix = relative.Length == 0 ? _root.Path : _root.Combine(relative).Path;
        var rootPrefix = _root.Path.Length == 0 ? "" : _root.Path.TrimEnd('/') + "/";
        var listPrefix = prefix.Length == 0 ? "" : prefix.TrimEnd('/') + "/";
        var entries = new SortedDictionary<string, ArtifactFileInfo>(StringComparer.Ordinal);
        foreach (var blob in _root.Store.List(listPrefix, cancellationToken))
        {
            var rest = blob.Path[listPrefix.Length..];
            var slash = rest.IndexOf('/');
            var childFull = slash < 0 ? blob.Path : listPrefix + rest[..slash];
            var childRelative = childFull[rootPrefix.Length..];
            if (!entries.ContainsKey(childRelative))
            {
                entries[childRelative] = slash < 0
                    ? new ArtifactFileInfo(childRelative, false, blob.Length)
                    : new ArtifactFileInfo(childRelative, true, null);
            }
        }

        return entries.Values.ToList();
    }

    /// <summary>Opens an artifact file for reading.</summary>
    public Stream OpenRead(string artifactPath, CancellationToken cancellationToken = default)
    {
        var target = ArtifactPath.Normalize(artifactPath);
        RequireFilePath(target, artifactPath);
        return _root.Store.OpenRead(_root.Combine(target).Path, cancellationToken);
    }

    /// <summary>Downloads an artifact file or folder (null: everything) under a local folder; returns the local path.</summary>
    public string DownloadArtifacts(string? artifactPath, string destinationDirectory, CancellationToken cancellationToken = default) =>
        DownloadArtifactsAsync(artifactPath, destinationDirectory, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Downloads an artifact file or folder (null: everything) under a local folder; returns the local path.</summary>
    public async Task<string> DownloadArtifactsAsync(string? artifactPath, string destinationDirectory, CancellationToken cancellationToken = default)
    {
        var relative = ArtifactPath.Normalize(artifactPath);
        var full = relative.Length == 0 ? _root.Path : _root.Combine(relative).Path;
        Directory.CreateDirectory(destinationDirectory);
        var localTarget = relative.Length == 0 ? destinationDirectory : Path.Combine(destinationDirectory, relative);
        if (relative.Length > 0 && await _root.Store.GetInfoAsync(full, cancellationToken).ConfigureAwait(false) is not null)
        {
            await DownloadFileAsync(full, localTarget, cancellationToken).ConfigureAwait(false);
            return localTarget;
        }

        var prefix = full.Length == 0 ? "" : full.TrimEnd('/') + "/";
        var any = false;
        await foreach (var blob in _root.Store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            any = true;
            var rest = blob.Path[prefix.Length..];
            await DownloadFileAsync(blob.Path, Path.Combine(localTarget, rest.Replace('/', Path.DirectorySeparatorChar)), cancellationToken).ConfigureAwait(false);
        }

        if (!any && relative.Length > 0)
        {
            throw MlflowException.NotFound($"No artifact '{relative}' under {ArtifactUri}.");
        }

        Directory.CreateDirectory(localTarget);
        return localTarget;
    }

    private async Task DownloadFileAsync(string storePath, string localFile, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(localFile)!);
        var temporary = localFile + ".partial";
        await using (var source = await _root.Store.OpenReadAsync(storePath, cancellationToken).ConfigureAwait(false))
        await using (var target = File.Create(temporary))
        {
            await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, localFile, overwrite: true);
    }

    private async Task UploadAsync(string localFile, string target, CancellationToken cancellationToken)
    {
        await using var source = File.OpenRead(localFile);
        await using var stream = await _root.Store.OpenWriteAsync(_root.Combine(target).Path, overwrite: true, cancellationToken).ConfigureAwait(false);
        await source.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        await stream.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void RequireFilePath(string normalized, string original)
    {
        if (normalized.Length == 0)
        {
            throw MlflowException.InvalidParameter($"Invalid artifact path '{original}': a file path is required.");
        }
    }
}
