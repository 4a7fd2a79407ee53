using System.Buffers;
using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Polly;
using Mlops.Storage;

namespace Mlops.Storage.Azure;

/// <summary>
/// A seekable read stream over a blob that downloads it in ranged chunks, one chunk in memory at a time.
/// Every chunk is one retryable operation (a half-read response body cannot be resumed, a range can be
/// requested again), and every chunk after the first is conditioned on the first one's ETag so that a blob
/// replaced mid-read fails loudly instead of yielding a mix of two versions.
/// </summary>
internal sealed class AzureBlobReadStream : Stream
{
    private readonly BlobClient _blob;
    private readonly ResiliencePipeline _pipeline;
    private readonly string _location;
    private readonly CancellationToken _openToken;
    private readonly ETag _etag;
    private byte[]? _chunk;
    private long _chunkStart;
    private int _chunkLength;
    private long _position;

    private AzureBlobReadStream(BlobClient blob, ResiliencePipeline pipeline, string location, byte[] chunk, Chunk first, CancellationToken openToken)
    {
        _blob = blob;
        _pipeline = pipeline;
        _location = location;
        _chunk = chunk;
        _chunkLength = first.Count;
        _etag = first.ETag;
        Length = first.Total;
        _openToken = openToken;
    }

    public override bool CanRead => _chunk is not null;

    public override bool CanSeek => _chunk is not null;

    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    /// <summary>Opens the stream by downloading the first chunk; a missing blob fails here.</summary>
    public static AzureBlobReadStream Open(BlobClient blob, ResiliencePipeline pipeline, string location, int chunkSize, CancellationToken cancellationToken)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            var first = pipeline.Execute(ct => DownloadFirst(blob, chunk.AsMemory(0, chunkSize), ct), cancellationToken);
            return new AzureBlobReadStream(blob, pipeline, location, chunk, first, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            ArrayPool<byte>.Shared.Return(chunk);
            throw new BlobNotFoundException(location, e);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(chunk);
            throw;
        }
    }

    /// <inheritdoc cref="Open"/>
    public static async Task<AzureBlobReadStream> OpenAsync(BlobClient blob, ResiliencePipeline pipeline, string location, int chunkSize, CancellationToken cancellationToken)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            var first = await pipeline.ExecuteAsync(ct => DownloadFirstAsync(blob, chunk.AsMemory(0, chunkSize), ct), cancellationToken).ConfigureAwait(false);
            return new AzureBlobReadStream(blob, pipeline, location, chunk, first, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            ArrayPool<byte>.Shared.Return(chunk);
            throw new BlobNotFoundException(location, e);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(chunk);
            throw;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var chunk = EnsureOpen();
        if (buffer.IsEmpty || _position >= Length)
        {
            return 0;
        }

        if (!ChunkHolds(_position))
        {
            var start = _position;
            var wanted = (int)Math.Min(chunk.Length, Length - start);
            var got = Execute(ct => Download(_blob, start, chunk.AsMemory(0, wanted), _etag, ct));
            SetChunk(start, got);
        }

        return CopyFromChunk(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var chunk = EnsureOpen();
        if (buffer.IsEmpty || _position >= Length)
        {
            return 0;
        }

        if (!ChunkHolds(_position))
        {
            var start = _position;
            var wanted = (int)Math.Min(chunk.Length, Length - start);
            var got = await ExecuteAsync(ct => DownloadAsync(_blob, start, chunk.AsMemory(0, wanted), _etag, ct), cancellationToken).ConfigureAwait(false);
            SetChunk(start, got);
        }

        return CopyFromChunk(buffer.Span);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        EnsureOpen();
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0)
        {
            throw new IOException($"Cannot seek to {target} before the start of '{_location}'.");
        }

        _position = target;
        return target;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("Blob read streams are read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Blob read streams are read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing && _chunk is { } chunk)
        {
            _chunk = null;
            ArrayPool<byte>.Shared.Return(chunk);
        }

        base.Dispose(disposing);
    }

    private static Chunk DownloadFirst(BlobClient blob, Memory<byte> target, CancellationToken cancellationToken)
    {
        try
        {
            return Download(blob, 0, target, etag: null, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 416)
        {
            // A ranged GET of an empty blob is "range not satisfiable"; its properties say what it is.
            var properties = blob.GetProperties(cancellationToken: cancellationToken).Value;
            return new Chunk(0, properties.ContentLength, properties.ETag);
        }
    }

    private static async ValueTask<Chunk> DownloadFirstAsync(BlobClient blob, Memory<byte> target, CancellationToken cancellationToken)
    {
        try
        {
            return await DownloadAsync(blob, 0, target, etag: null, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 416)
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return new Chunk(0, properties.ContentLength, properties.ETag);
        }
    }

    private static Chunk Download(BlobClient blob, long offset, Memory<byte> target, ETag? etag, CancellationToken cancellationToken)
    {
        using var result = blob.DownloadStreaming(RangeOptions(offset, target.Length, etag), cancellationToken).Value;
        var total = TotalLength(result.Details, offset);
        var expected = (int)Math.Clamp(total - offset, 0, target.Length);
        var read = result.Content.ReadAtLeast(target.Span[..expected], expected, throwOnEndOfStream: false);
        return Complete(read, expected, total, result.Details.ETag, offset);
    }

    private static async ValueTask<Chunk> DownloadAsync(BlobClient blob, long offset, Memory<byte> target, ETag? etag, CancellationToken cancellationToken)
    {
        using var result = (await blob.DownloadStreamingAsync(RangeOptions(offset, target.Length, etag), cancellationToken).ConfigureAwait(false)).Value;
        var total = TotalLength(result.Details, offset);
        var expected = (int)Math.Clamp(total - offset, 0, target.Length);
        var read = await result.Content.ReadAtLeastAsync(target[..expected], expected, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return Complete(read, expected, total, result.Details.ETag, offset);
    }

    private static BlobDownloadOptions RangeOptions(long offset, int length, ETag? etag) => new()
    {
        Range = new HttpRange(offset, length),
        Conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : null,
    };

    private static Chunk Complete(int read, int expected, long total, ETag etag, long offset)
    {
        if (read < expected)
        {
            // A connection cut mid-body; IOException makes the retry policy fetch the range again.
            throw new IOException($"The response ended after {read} of {expected} bytes at offset {offset}.");
        }

        return new Chunk(read, total, etag);
    }

    private static long TotalLength(BlobDownloadDetails details, long offset)
    {
        // "bytes 0-4194303/12345678": the total follows the slash.
        var range = details.ContentRange;
        var slash = range?.LastIndexOf('/') ?? -1;
        if (slash >= 0 && long.TryParse(range.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total))
        {
            return total;
        }

        return offset + details.ContentLength;
    }

    private T Execute<T>(Func<CancellationToken, T> download)
    {
        try
        {
            return _pipeline.Execute(download, _openToken);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            throw Changed(e);
        }
    }

    private async ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> download, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(download, cancellationToken.CanBeCanceled ? cancellationToken : _openToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            throw Changed(e);
        }
    }

    private IOException Changed(RequestFailedException e) =>
        new($"'{_location}' was replaced or deleted while it was being read; read it again.", e);

    private bool ChunkHolds(long position) => position >= _chunkStart && position < _chunkStart + _chunkLength;

    private void SetChunk(long start, Chunk got)
    {
        _chunkStart = start;
        _chunkLength = got.Count;
    }

    private int CopyFromChunk(Span<byte> buffer)
    {
        var offsetInChunk = (int)(_position - _chunkStart);
        var count = Math.Min(buffer.Length, _chunkLength - offsetInChunk);
        _chunk.AsSpan(offsetInChunk, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    private byte[] EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_chunk is null, this);
        return _chunk;
    }

    private readonly record struct Chunk(int Count, long Total, ETag ETag);
}
