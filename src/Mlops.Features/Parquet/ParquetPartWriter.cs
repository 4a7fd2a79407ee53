using Apache.Arrow;
using Mlops.Storage;
using Parquet;
using Parquet.Schema;

namespace Mlops.Features.Parquet;

/// <summary>
/// One open part file. Batches are appended as zero-copy segments and written out as a row group whenever
/// <see cref="ParquetWriteOptions.RowGroupSize"/> rows are pending, so a worker streams any number of
/// partitions into one file with at most one row group of batches held.
/// </summary>
internal sealed class ParquetPartWriter : IAsyncDisposable
{
    private readonly BlobWriteStream _stream;
    private readonly ParquetWriter _writer;
    private readonly ParquetWriteColumn[] _columns;
    private readonly int _rowGroupSize;
    private readonly List<BatchSegment> _pending = [];
    private int _pendingRows;
    private bool _finished;

    private ParquetPartWriter(BlobWriteStream stream, ParquetWriter writer, ParquetWriteColumn[] columns, int rowGroupSize, string path)
    {
        _stream = stream;
        _writer = writer;
        _columns = columns;
        _rowGroupSize = rowGroupSize;
        Path = path;
    }

    /// <summary>The file's path in its store.</summary>
    public string Path { get; }

    /// <summary>Rows appended so far.</summary>
    public long Rows { get; private set; }

    public static async Task<ParquetPartWriter> OpenAsync(BlobStore store, string path, ParquetSchema schema, ParquetWriteColumn[] columns, ParquetOptions options, int rowGroupSize, string? arrowMetadata, CancellationToken ct)
    {
        var stream = await store.OpenWriteAsync(path, overwrite: false, ct).ConfigureAwait(false);
        try
        {
            var writer = await ParquetWriter.CreateAsync(schema, new BlockingWriteStream(stream), options, append: false, ct).ConfigureAwait(false);
            ParquetFooterAnnotations.Apply(writer, columns);
            if (arrowMetadata is not null)
            {
                writer.CustomMetadata = new Dictionary<string, string> { [ParquetArrowMetadata.Key] = arrowMetadata };
            }

            return new ParquetPartWriter(stream, writer, columns, rowGroupSize, path);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Appends rows <paramref name="offset"/>..+<paramref name="length"/> of a batch.</summary>
    public async Task AppendAsync(RecordBatch batch, int offset, int length, CancellationToken ct)
    {
        while (length > 0)
        {
            var take = Math.Min(length, _rowGroupSize - _pendingRows);
            _pending.Add(new BatchSegment(batch, offset, take));
            _pendingRows += take;
            Rows += take;
            offset += take;
            length -= take;
            if (_pendingRows == _rowGroupSize)
            {
                await FlushAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes pending rows and the footer, and commits the file.</summary>
    public async Task CommitAsync(CancellationToken ct)
    {
        await FlushAsync(ct).ConfigureAwait(false);
        _finished = true;

        // Disposing the Parquet writer writes the footer.
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _stream.CommitAsync(ct).ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Discards the file unless it was committed.</summary>
    public async ValueTask DisposeAsync()
    {
        _finished = true;
        _pending.Clear();
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        if (_pendingRows == 0 || _finished)
        {
            return;
        }

        using (var rowGroup = _writer.CreateRowGroup())
        {
            foreach (var column in _columns)
            {
                ct.ThrowIfCancellationRequested();
                await ParquetColumnEncoder.WriteAsync(rowGroup, column, _pending, _pendingRows, ct).ConfigureAwait(false);
            }

            rowGroup.CompleteValidate();
        }

        _pending.Clear();
        _pendingRows = 0;
    }
}
