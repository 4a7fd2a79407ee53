using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Mlops.Storage;

namespace Mlops.Storage.Azure;

/// <summary>
/// A <see cref="BlobStore"/> over one Azure Blob Storage container, optionally rooted at a prefix inside it.
/// Reads stream in ranged chunks, writes stage blocks and publish them with one atomic commit, and every
/// call to the service goes through one retry policy (see <see cref="BlobRetryOptions"/>).
/// </summary>
/// <remarks>
/// Give the store a <see cref="BlobContainerClient"/> built with <see cref="CreateClientOptions"/> (or with
/// <c>Retry.MaxRetries = 0</c>): retries are this store's job, and SDK retries underneath would multiply them.
/// </remarks>
public partial class AzureBlobStore : BlobStore
{
    private const int ListPageSize = 5000;
    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly BlobTransferOptions _transfer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Creates a store over <paramref name="container"/>.</summary>
    /// <param name="container">The container; its credentials authorize every call.</param>
    /// <param name="rootPrefix">A folder inside the container that the store's paths are relative to; empty for the whole container.</param>
    /// <param name="retry">The retry policy; defaults to <see cref="BlobRetryOptions"/>' defaults.</param>
    /// <param name="transfer">Block and chunk sizes; defaults to <see cref="BlobTransferOptions"/>' defaults.</param>
    /// <param name="timeProvider">The clock for retry delays, timeouts and copy polling; <see cref="TimeProvider.System"/> if null.</param>
    /// <param name="logger">Receives a warning for every retry.</param>
    /// <exception cref="ValidationException">The retry or transfer options are out of range.</exception>
    public AzureBlobStore(
        BlobContainerClient container,
        string? rootPrefix = null,
        BlobRetryOptions? retry = null,
        BlobTransferOptions? transfer = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
        _prefix = NormalizeFolder(rootPrefix ?? string.Empty);
        ValidatePath(_prefix, nameof(rootPrefix));
        _transfer = transfer ?? new BlobTransferOptions();
        Validator.ValidateObject(_transfer, new ValidationContext(_transfer), validateAllProperties: true);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        Pipeline = BlobRetryPipeline.Create(retry ?? new BlobRetryOptions(), _timeProvider, _logger);

        // Never show a SAS token in messages: the display root drops the query.
        var root = new UriBuilder(container.Uri) { Query = string.Empty }.Uri.AbsoluteUri.TrimEnd('/');
        RootUri = new Uri(root + "/" + _prefix);
    }

    /// <summary>For mocking.</summary>
    protected AzureBlobStore()
    {
        _container = null!;
        _prefix = string.Empty;
        _transfer = new BlobTransferOptions();
        _timeProvider = TimeProvider.System;
        _logger = NullLogger.Instance;
        Pipeline = ResiliencePipeline.Empty;
        RootUri = new Uri("https://mock.blob.core.windows.net/mock/");
    }

    /// <summary>The container URL followed by the root prefix, without any SAS query.</summary>
    public override Uri RootUri { get; }

    /// <summary>The container this store reads and writes.</summary>
    public BlobContainerClient Container => _container;

    /// <summary>The folder inside the container that paths are relative to ("" or ending in '/').</summary>
    public string RootPrefix => _prefix;

    /// <summary>The retry pipeline every service call goes through.</summary>
    internal ResiliencePipeline Pipeline { get; }

    /// <summary>Client options with the SDK's own retries off, so that the store's policy alone governs retries.</summary>
    public static BlobClientOptions CreateClientOptions()
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;
        return options;
    }

    /// <inheritdoc/>
    public override string Describe(string path) => RootUri.AbsoluteUri + (path ?? string.Empty).TrimStart('/');

    /// <inheritdoc/>
    public override Stream OpenRead(string path, CancellationToken cancellationToken = default) =>
        AzureBlobReadStream.Open(_container.GetBlobClient(BlobName(path)), Pipeline, Describe(path), _transfer.ReadChunkSize, cancellationToken);

    /// <inheritdoc/>
    public override async Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) =>
        await AzureBlobReadStream.OpenAsync(_container.GetBlobClient(BlobName(path)), Pipeline, Describe(path), _transfer.ReadChunkSize, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    /// <remarks>With <paramref name="overwrite"/> false an existing blob is refused here, before any upload, and
    /// again by the commit (conditioned on the blob not existing) in case one appeared meanwhile.</remarks>
    public override BlobWriteStream OpenWrite(string path, bool overwrite = true, CancellationToken cancellationToken = default)
    {
        var name = BlobName(path);
        if (!overwrite && GetInfo(path, cancellationToken) is not null)
        {
            throw new BlobAlreadyExistsException(Describe(path));
        }

        return new AzureBlobWriteStream(this, _container.GetBlockBlobClient(name), Describe(path), overwrite, _transfer, cancellationToken);
    }

    /// <inheritdoc/>
    public override async Task<BlobWriteStream> OpenWriteAsync(string path, bool overwrite = true, CancellationToken cancellationToken = default)
    {
        var name = BlobName(path);
        if (!overwrite && await GetInfoAsync(path, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new BlobAlreadyExistsException(Describe(path));
        }

        return new AzureBlobWriteStream(this, _container.GetBlockBlobClient(name), Describe(path), overwrite, _transfer, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>The service lists blob names in lexicographic order; each page is fetched (and retried) on demand.</remarks>
    public override IEnumerable<BlobInfo> List(string prefix, CancellationToken cancellationToken = default) =>
        ListBlobs(ListPrefix(prefix), cancellationToken);

    /// <inheritdoc/>
    public override IAsyncEnumerable<BlobInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) =>
        ListBlobsAsync(ListPrefix(prefix), cancellationToken);

    // Iterators run nothing until enumerated; the public methods above check their arguments eagerly.
    private IEnumerable<BlobInfo> ListBlobs(string fullPrefix, CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var token = continuation;
            var page = Pipeline.Execute(ct => FetchPage(fullPrefix, token, ct), cancellationToken);
            if (page is null)
            {
                yield break;
            }

            foreach (var item in page.Values)
            {
                yield return ToInfo(item);
            }

            continuation = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(continuation));
    }

    private async IAsyncEnumerable<BlobInfo> ListBlobsAsync(string fullPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var token = continuation;
            var page = await Pipeline.ExecuteAsync(ct => FetchPageAsync(fullPrefix, token, ct), cancellationToken).ConfigureAwait(false);
            if (page is null)
            {
                yield break;
            }

            foreach (var item in page.Values)
            {
                yield return ToInfo(item);
            }

            continuation = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(continuation));
    }

    /// <inheritdoc/>
    public override BlobInfo? GetInfo(string path, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(BlobName(path));
        return Pipeline.Execute(
            ct =>
            {
                try
                {
                    var properties = blob.GetProperties(cancellationToken: ct).Value;
                    return new BlobInfo(RelativePath(blob.Name), properties.ContentLength, properties.LastModified);
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    return null;
                }
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    public override async Task<BlobInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(BlobName(path));
        return await Pipeline.ExecuteAsync(
            async ct =>
            {
                try
                {
                    var properties = (await blob.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value;
                    return new BlobInfo(RelativePath(blob.Name), properties.ContentLength, properties.LastModified);
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    return null;
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>If a try deletes the blob but its response is lost, the retry finds nothing and returns false.</remarks>
    public override bool Delete(string path, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(BlobName(path));
        return Pipeline.Execute(
            ct =>
            {
                try
                {
                    return blob.DeleteIfExists(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct).Value;
                }
                catch (RequestFailedException e) when (IsContainerNotFound(e))
                {
                    return false;
                }
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    public override async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(BlobName(path));
        return await Pipeline.ExecuteAsync(
            async ct =>
            {
                try
                {
                    return (await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct).ConfigureAwait(false)).Value;
                }
                catch (RequestFailedException e) when (IsContainerNotFound(e))
                {
                    return false;
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override int DeletePrefix(string prefix, CancellationToken cancellationToken = default)
    {
        var paths = List(prefix, cancellationToken).Select(b => b.Path).ToList();
        var deleted = 0;
        Parallel.ForEach(paths, ParallelOptions(cancellationToken), path =>
        {
            if (Delete(path, cancellationToken))
            {
                Interlocked.Increment(ref deleted);
            }
        });
        return deleted;
    }

    /// <inheritdoc/>
    public override async Task<int> DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var paths = new List<string>();
        await foreach (var blob in ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            paths.Add(blob.Path);
        }

        var deleted = 0;
        await Parallel.ForEachAsync(paths, ParallelOptions(cancellationToken), async (path, ct) =>
        {
            if (await DeleteAsync(path, ct).ConfigureAwait(false))
            {
                Interlocked.Increment(ref deleted);
            }
        }).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>Creates the container if it is missing; a write into a missing container creates it, as a local write creates its folder.</summary>
    internal void CreateContainer(CancellationToken cancellationToken) =>
        _container.CreateIfNotExists(cancellationToken: cancellationToken);

    /// <inheritdoc cref="CreateContainer"/>
    internal Task CreateContainerAsync(CancellationToken cancellationToken) =>
        _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

    /// <summary>Whether a failure says the container itself is missing.</summary>
    internal static bool IsContainerNotFound(RequestFailedException e) =>
        e.Status == 404 && string.Equals(e.ErrorCode, BlobErrorCode.ContainerNotFound.ToString(), StringComparison.Ordinal);

    /// <summary>The full blob name of a path: the root prefix and the path, checked for dot segments.</summary>
    internal string BlobName(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var relative = path.TrimStart('/');
        if (relative.Length == 0 || relative.EndsWith('/'))
        {
            throw new ArgumentException($"'{path}' does not name a blob.", nameof(path));
        }

        ValidatePath(relative, nameof(path));
        return _prefix + relative;
    }

    private static void ValidatePath(string path, string parameterName)
    {
        // A URL normalizes "." and ".." away, so such a path would reach a blob outside the root.
        foreach (var segment in path.Split('/'))
        {
            if (segment is "." or "..")
            {
                throw new ArgumentException($"Path '{path}' has a '{segment}' segment; blob paths must not navigate.", parameterName);
            }
        }
    }

    private static string NormalizeFolder(string prefix)
    {
        var trimmed = prefix.Trim('/');
        return trimmed.Length == 0 ? string.Empty : trimmed + "/";
    }

    private string ListPrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var relative = prefix.TrimStart('/');
        ValidatePath(relative, nameof(prefix));
        return _prefix + relative;
    }

    private string RelativePath(string blobName) => blobName[_prefix.Length..];

    private BlobInfo ToInfo(BlobItem item) =>
        new(RelativePath(item.Name), item.Properties.ContentLength ?? 0, item.Properties.LastModified ?? DateTimeOffset.MinValue);

    private Page<BlobItem>? FetchPage(string prefix, string? continuation, CancellationToken cancellationToken)
    {
        try
        {
            return _container.GetBlobs(BlobTraits.None, BlobStates.None, prefix, cancellationToken).AsPages(continuation, ListPageSize).First();
        }
        catch (RequestFailedException e) when (IsContainerNotFound(e))
        {
            return null;
        }
    }

    private async ValueTask<Page<BlobItem>?> FetchPageAsync(string prefix, string? continuation, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var page in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken).AsPages(continuation, ListPageSize).ConfigureAwait(false))
            {
                return page;
            }

            return null;
        }
        catch (RequestFailedException e) when (IsContainerNotFound(e))
        {
            return null;
        }
    }

    private ParallelOptions ParallelOptions(CancellationToken cancellationToken) => new()
    {
        MaxDegreeOfParallelism = _transfer.MaxConcurrentBlobOperations,
        CancellationToken = cancellationToken,
    };
}
