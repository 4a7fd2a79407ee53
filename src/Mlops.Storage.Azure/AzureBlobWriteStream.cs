using System.Buffers;
using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Mlops.Storage;

namespace Mlops.Storage.Azure;

/// <summary>
/// Writes a block blob as staged blocks and makes it visible with one <c>Put Block List</c> on commit, which
/// the service applies atomically: before the commit nothing is visible, and disposing without committing
/// leaves only uncommitted blocks, which no read or listing sees and the service discards after a week.
/// Each block keeps its bytes until it is staged, so a failed staging is retried as a whole operation.
/// </summary>
internal sealed class AzureBlobWriteStream : BlobWriteStream
{
    // The service refuses a block list longer than this.
    private const int MaxBlockCount = 50_000;

    private readonly AzureBlobStore _store;
    private readonly BlockBlobClient _blob;
    private readonly string _location;
    private readonly bool _overwrite;
    private readonly int _blockSize;
    private readonly int _maxConcurrentUploads;
    private readonly string _writerId = Guid.NewGuid().ToString("N");
    private readonly List<string> _blockIds = [];
    private readonly Queue<Task> _uploads = new();
    private readonly CancellationTokenSource _abort;
    private byte[]? _block;
    private int _blockFill;
    private long _length;
    private bool _disposed;

    public AzureBlobWriteStream(AzureBlobStore store, BlockBlobClient blob, string location, bool overwrite, BlobTransferOptions transfer, CancellationToken cancellationToken)
    {
        _store = store;
        _blob = blob;
        _location = location;
        _overwrite = overwrite;
        _blockSize = transfer.BlockSize;
        _maxConcurrentUploads = transfer.MaxConcurrentBlockUploads;
        _abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public override long Length => _length;

    /// <summary>Block ids are base64 of a fixed-width string: this writer's id and the block's index.</summary>
    /// <remarks>A per-writer id keeps two writers of the same path from committing each other's blocks.</remarks>
    internal static string BlockId(string writerId, int index) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"{writerId}-{index:D6}"));

    /// <summary>Nothing becomes visible before the commit, so there is nothing to flush.</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnsureWritable();
        while (!buffer.IsEmpty)
        {
            var copied = Append(buffer);
            buffer = buffer[copied..];
            if (_blockFill == _blockSize)
            {
                StageFullBlock();
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        while (!buffer.IsEmpty)
        {
            var copied = Append(buffer.Span);
            buffer = buffer[copied..];
            if (_blockFill == _blockSize)
            {
                await StartStagingAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override void Commit(CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        if (_blockFill > 0)
        {
            StageFullBlock();
        }

        if (_uploads.Count > 0)
        {
            // Only a mix of async writes and a sync commit gets here.
            Task.WhenAll(_uploads).GetAwaiter().GetResult();
            _uploads.Clear();
        }

        var attempted = false;
        try
        {
            _store.Pipeline.Execute(
                ct =>
                {
                    var retried = attempted;
                    attempted = true;
                    try
                    {
                        _blob.CommitBlockList(_blockIds, CommitOptions(), ct);
                    }
                    catch (RequestFailedException e) when (IsContainerNotFound(e))
                    {
                        _store.CreateContainer(ct);
                        _blob.CommitBlockList(_blockIds, CommitOptions(), ct);
                    }
                    catch (RequestFailedException e) when (IsAlreadyExists(e) && retried)
                    {
                        // An earlier try may have committed with its response lost: then the blob is ours.
                        if (!HoldsOurBlocks(_blob.GetBlockList(BlockListTypes.Committed, cancellationToken: ct).Value))
                        {
                            throw;
                        }
                    }
                },
                linked.Token);
        }
        catch (RequestFailedException e) when (IsAlreadyExists(e))
        {
            throw new BlobAlreadyExistsException(_location, e);
        }

        Committed();
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        if (_blockFill > 0)
        {
            await StartStagingAsync(linked.Token).ConfigureAwait(false);
        }

        await Task.WhenAll(_uploads).ConfigureAwait(false);
        _uploads.Clear();

        var attempted = false;
        try
        {
            await _store.Pipeline.ExecuteAsync(
                async ct =>
                {
                    var retried = attempted;
                    attempted = true;
                    try
                    {
                        await _blob.CommitBlockListAsync(_blockIds, CommitOptions(), ct).ConfigureAwait(false);
                    }
                    catch (RequestFailedException e) when (IsContainerNotFound(e))
                    {
                        await _store.CreateContainerAsync(ct).ConfigureAwait(false);
                        await _blob.CommitBlockListAsync(_blockIds, CommitOptions(), ct).ConfigureAwait(false);
                    }
                    catch (RequestFailedException e) when (IsAlreadyExists(e) && retried)
                    {
                        var blocks = (await _blob.GetBlockListAsync(BlockListTypes.Committed, cancellationToken: ct).ConfigureAwait(false)).Value;
                        if (!HoldsOurBlocks(blocks))
                        {
                            throw;
                        }
                    }
                },
                linked.Token).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (IsAlreadyExists(e))
        {
            throw new BlobAlreadyExistsException(_location, e);
        }

        Committed();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            AbortUploads();
            try
            {
                Task.WhenAll(_uploads).Wait();
            }
            catch (AggregateException)
            {
                // The write is being abandoned; its upload errors no longer matter.
            }

            Release();
            _abort.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            AbortUploads();
            try
            {
                await Task.WhenAll(_uploads).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The write is being abandoned; its upload errors no longer matter.
            }

            Release();
            _abort.Dispose();
        }

        await base.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    private static bool IsAlreadyExists(RequestFailedException e) => e.Status is 409 or 412;

    private static bool IsContainerNotFound(RequestFailedException e) => AzureBlobStore.IsContainerNotFound(e);

    private CommitBlockListOptions CommitOptions() => new()
    {
        Conditions = _overwrite ? null : new BlobRequestConditions { IfNoneMatch = ETag.All },
    };

    private bool HoldsOurBlocks(BlockList committed) =>
        committed.CommittedBlocks.Select(b => b.Name).SequenceEqual(_blockIds, StringComparer.Ordinal);

    private int Append(ReadOnlySpan<byte> source)
    {
        _block ??= ArrayPool<byte>.Shared.Rent(_blockSize);
        var count = Math.Min(source.Length, _blockSize - _blockFill);
        source[..count].CopyTo(_block.AsSpan(_blockFill));
        _blockFill += count;
        _length += count;
        return count;
    }

    /// <summary>Hands the current block over for staging and assigns its id, in write order.</summary>
    private (string Id, byte[] Data, int Count) TakeBlock()
    {
        if (_blockIds.Count >= MaxBlockCount)
        {
            throw new IOException($"'{_location}' would need more than {MaxBlockCount} blocks of {_blockSize} bytes; raise BlobTransferOptions.BlockSize.");
        }

        var id = BlockId(_writerId, _blockIds.Count);
        _blockIds.Add(id);
        var taken = (id, _block!, _blockFill);
        _block = null;
        _blockFill = 0;
        return taken;
    }

    private void StageFullBlock()
    {
        var (id, data, count) = TakeBlock();
        try
        {
            _store.Pipeline.Execute(ct => Stage(id, data, count, ct), _abort.Token);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    private async ValueTask StartStagingAsync(CancellationToken cancellationToken)
    {
        var (id, data, count) = TakeBlock();
        _uploads.Enqueue(StageAsync(id, data, count, cancellationToken));

        // Bound the bytes in flight; awaiting the oldest also surfaces the first failure early.
        while (_uploads.Count >= _maxConcurrentUploads)
        {
            await _uploads.Dequeue().ConfigureAwait(false);
        }
    }

    private async Task StageAsync(string id, byte[] data, int count, CancellationToken cancellationToken)
    {
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
            await _store.Pipeline.ExecuteAsync(
                async ct =>
                {
                    try
                    {
                        await _blob.StageBlockAsync(id, new MemoryStream(data, 0, count, writable: false), cancellationToken: ct).ConfigureAwait(false);
                    }
                    catch (RequestFailedException e) when (IsContainerNotFound(e))
                    {
                        await _store.CreateContainerAsync(ct).ConfigureAwait(false);
                        await _blob.StageBlockAsync(id, new MemoryStream(data, 0, count, writable: false), cancellationToken: ct).ConfigureAwait(false);
                    }
                },
                linked.Token).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    private void Stage(string id, byte[] data, int count, CancellationToken cancellationToken)
    {
        try
        {
            _blob.StageBlock(id, new MemoryStream(data, 0, count, writable: false), cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (IsContainerNotFound(e))
        {
            // Like a local folder, a container is created by the first write into it.
            _store.CreateContainer(cancellationToken);
            _blob.StageBlock(id, new MemoryStream(data, 0, count, writable: false), cancellationToken: cancellationToken);
        }
    }

    private void Committed()
    {
        IsCommitted = true;
        Release();
    }

    private void AbortUploads()
    {
        if (!IsCommitted)
        {
            _abort.Cancel();
        }
    }

    private void Release()
    {
        if (_block is { } block)
        {
            _block = null;
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    private void EnsureWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsCommitted)
        {
            throw new InvalidOperationException($"The write to '{_location}' was already committed.");
        }
    }
}
