using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Mlops.Storage;

namespace Mlops.Storage.Azure;

/// <summary>Moving a folder of blobs: server-side copies, then deletes.</summary>
public partial class AzureBlobStore
{
    /// <inheritdoc/>
    /// <remarks>
    /// Blob storage has no rename, so this is not atomic: every blob is copied server-side (bytes never pass
    /// through this process) and only when all copies have completed are the sources deleted. A failure part
    /// way leaves the sources intact and, at worst, some copies at the destination; nothing is lost.
    /// </remarks>
    public override void MovePrefix(string sourcePrefix, string destinationPrefix, CancellationToken cancellationToken = default)
    {
        var (source, destination) = MoveFolders(sourcePrefix, destinationPrefix);
        if (List(destination, cancellationToken).Any())
        {
            throw new BlobAlreadyExistsException(Describe(destination));
        }

        var paths = List(source, cancellationToken).Select(b => b.Path).ToList();
        if (paths.Count == 0)
        {
            throw new BlobNotFoundException(Describe(source));
        }

        Parallel.ForEach(paths, ParallelOptions(cancellationToken), path => Copy(path, destination + path[source.Length..], cancellationToken));
        Parallel.ForEach(paths, ParallelOptions(cancellationToken), path => Delete(path, cancellationToken));
        LogMoved(_logger, paths.Count, Describe(source), Describe(destination));
    }

    /// <inheritdoc/>
    public override async Task MovePrefixAsync(string sourcePrefix, string destinationPrefix, CancellationToken cancellationToken = default)
    {
        var (source, destination) = MoveFolders(sourcePrefix, destinationPrefix);
        await foreach (var _ in ListAsync(destination, cancellationToken).ConfigureAwait(false))
        {
            throw new BlobAlreadyExistsException(Describe(destination));
        }

        var paths = new List<string>();
        await foreach (var blob in ListAsync(source, cancellationToken).ConfigureAwait(false))
        {
            paths.Add(blob.Path);
        }

        if (paths.Count == 0)
        {
            throw new BlobNotFoundException(Describe(source));
        }

        await Parallel.ForEachAsync(paths, ParallelOptions(cancellationToken), (path, ct) => CopyAsync(path, destination + path[source.Length..], ct)).ConfigureAwait(false);
        await Parallel.ForEachAsync(paths, ParallelOptions(cancellationToken), async (path, ct) => await DeleteAsync(path, ct).ConfigureAwait(false)).ConfigureAwait(false);
        LogMoved(_logger, paths.Count, Describe(source), Describe(destination));
    }

    private static (string Source, string Destination) MoveFolders(string sourcePrefix, string destinationPrefix)
    {
        ArgumentNullException.ThrowIfNull(sourcePrefix);
        ArgumentNullException.ThrowIfNull(destinationPrefix);

        // Moves work on folders: "a/b" means everything under "a/b/", never "a/bc".
        var source = NormalizeFolder(sourcePrefix);
        var destination = NormalizeFolder(destinationPrefix);
        if (source.Length == 0 || destination.Length == 0)
        {
            throw new ArgumentException("A move needs a non-empty source and destination folder.");
        }

        ValidatePath(source, nameof(sourcePrefix));
        ValidatePath(destination, nameof(destinationPrefix));
        if (source.StartsWith(destination, StringComparison.Ordinal) || destination.StartsWith(source, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Cannot move '{source}' to '{destination}': one folder contains the other.");
        }

        return (source, destination);
    }

    private void Copy(string sourcePath, string destinationPath, CancellationToken cancellationToken)
    {
        var source = _container.GetBlobClient(BlobName(sourcePath));
        var destination = _container.GetBlobClient(BlobName(destinationPath));
        var copyId = Pipeline.Execute(ct => destination.StartCopyFromUri(source.Uri, cancellationToken: ct).Id, cancellationToken);
        var deadline = _timeProvider.GetUtcNow() + _transfer.CopyTimeout;
        while (true)
        {
            var properties = Pipeline.Execute(ct => destination.GetProperties(cancellationToken: ct).Value, cancellationToken);
            if (CopyFinished(properties, sourcePath, destinationPath))
            {
                return;
            }

            if (_timeProvider.GetUtcNow() >= deadline)
            {
                AbortCopy(destination, copyId);
                throw CopyTimedOut(sourcePath, destinationPath);
            }

            Task.Delay(_transfer.CopyPollInterval, _timeProvider, cancellationToken).GetAwaiter().GetResult();
        }
    }

    private async ValueTask CopyAsync(string sourcePath, string destinationPath, CancellationToken cancellationToken)
    {
        var source = _container.GetBlobClient(BlobName(sourcePath));
        var destination = _container.GetBlobClient(BlobName(destinationPath));
        var copyId = await Pipeline.ExecuteAsync(
            async ct => (await destination.StartCopyFromUriAsync(source.Uri, cancellationToken: ct).ConfigureAwait(false)).Id,
            cancellationToken).ConfigureAwait(false);
        var deadline = _timeProvider.GetUtcNow() + _transfer.CopyTimeout;
        while (true)
        {
            var properties = await Pipeline.ExecuteAsync(
                async ct => (await destination.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value,
                cancellationToken).ConfigureAwait(false);
            if (CopyFinished(properties, sourcePath, destinationPath))
            {
                return;
            }

            if (_timeProvider.GetUtcNow() >= deadline)
            {
                AbortCopy(destination, copyId);
                throw CopyTimedOut(sourcePath, destinationPath);
            }

            await Task.Delay(_transfer.CopyPollInterval, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool CopyFinished(BlobProperties properties, string sourcePath, string destinationPath) => properties.CopyStatus switch
    {
        CopyStatus.Success => true,
        CopyStatus.Pending => false,
        _ => throw new IOException(
            $"Copying '{Describe(sourcePath)}' to '{Describe(destinationPath)}' ended as {properties.CopyStatus}: {properties.CopyStatusDescription}. The source is kept."),
    };

    private TimeoutException CopyTimedOut(string sourcePath, string destinationPath) =>
        new($"Copying '{Describe(sourcePath)}' to '{Describe(destinationPath)}' did not complete within {_transfer.CopyTimeout}; the copy was aborted and the source is kept. Raise BlobTransferOptions.CopyTimeout for very large blobs.");

    private static void AbortCopy(BlobClient destination, string copyId)
    {
        try
        {
            destination.AbortCopyFromUri(copyId);
        }
        catch (RequestFailedException)
        {
            // Best effort: the copy may have finished or failed meanwhile.
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Moved {Count} blobs from {Source} to {Destination}")]
    private static partial void LogMoved(ILogger logger, int count, string source, string destination);
}
