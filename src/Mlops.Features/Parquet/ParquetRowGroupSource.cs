using Apache.Arrow;
using Mlops.Storage;
using Parquet;

namespace Mlops.Features.Parquet;

/// <summary>The body of one read partition: decodes the planned columns of one row group into one record batch.</summary>
internal static class ParquetRowGroupSource
{
    /// <summary>Reader options: none of Parquet.Net's CLR conversions are used, so the defaults only need to be stable.</summary>
    public static readonly ParquetOptions ReaderOptions = new() { TreatByteArrayAsString = true };

    public static IEnumerable<RecordBatch> Read(StorageLocation file, int rowGroup, Schema schema, ParquetColumnPlan[] columns, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        yield return ReadBatch(file, rowGroup, schema, columns, ct);
    }

    private static RecordBatch ReadBatch(StorageLocation file, int rowGroup, Schema schema, ParquetColumnPlan[] columns, CancellationToken ct)
    {
        string? column = null;
        try
        {
            using var stream = new BlockingReadStream(file.Store.OpenRead(file.Path, ct));
            return ReadAsync(stream, rowGroup, schema, columns, c => column = c, ct).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not MlopsException and not OperationCanceledException)
        {
            throw new DataFormatException($"Cannot decode the row group ({e.Message}); the file is corrupt or was changed after the read was planned.", file.ToString(), column: column, rowGroup: rowGroup, innerException: e);
        }
    }

    private static async ValueTask<RecordBatch> ReadAsync(Stream stream, int rowGroup, Schema schema, ParquetColumnPlan[] columns, Action<string> onColumn, CancellationToken ct)
    {
        await using var reader = await ParquetReader.CreateAsync(stream, ReaderOptions, leaveStreamOpen: true, ct).ConfigureAwait(false);
        if (rowGroup >= reader.RowGroupCount)
        {
            throw new InvalidDataException($"The file has {reader.RowGroupCount} row groups; it was changed after the read was planned.");
        }

        var group = reader.OpenRowGroupReader(rowGroup);
        var rows = checked((int)group.RowCount);
        var arrays = new IArrowArray[columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            ct.ThrowIfCancellationRequested();
            onColumn(columns[c].Name);
            arrays[c] = await ParquetColumnDecoder.ReadAsync(group, columns[c], rows, ct).ConfigureAwait(false);
        }

        return new RecordBatch(schema, arrays, rows);
    }
}
