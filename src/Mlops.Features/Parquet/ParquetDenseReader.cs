using System.Numerics;
using Mlops.Features.IO;
using Mlops.Features.Parquet;
using Mlops.Storage;
using Parquet;

namespace Mlops.Features;

/// <summary>
/// Reads numeric Parquet data straight into dense buffers: a feature matrix (row-major, rows × <see cref="FeatureWidth"/>)
/// and a label vector, in float32 or float64, decoded from each row group without Arrow arrays in between. This is
/// the fast path for turning feature files (such as <see cref="Frame.WriteParquet"/> output with a VectorAssembler
/// column) into tensors; <see cref="Frame.ReadParquet"/> is the general reader.
/// </summary>
/// <remarks>
/// <para>Columns: the features are one list of double or float per row (all of one width, as VectorAssembler writes
/// them), a single numeric column (width 1), or several scalar numeric or boolean columns; the label is a numeric or
/// boolean column. Values are converted to the element type of the buffers.</para>
/// <para>Checks: <c>Open</c> reads only the footers. A missing column is a <see cref="SchemaException"/> naming the
/// file and listing its columns; an unsupported type, a null, or a vector of another width is a
/// <see cref="DataFormatException"/> naming the file, row group, column and row: at <c>Open</c> when the footer
/// already reveals it (value counts, null statistics), otherwise when that row group is read. Rows are never
/// skipped.</para>
/// <para>The reader is immutable and thread-safe; <see cref="ReadRowGroup(int, int, Memory{float}, Memory{float}, CancellationToken)"/>
/// opens the file for each call, while a <see cref="ParquetDenseCursor"/> (one thread at a time) keeps files open and
/// reads from a <see cref="ParquetDensePosition"/>.</para>
/// </remarks>
public sealed class ParquetDenseReader
{
    private readonly ParquetDenseFile[] _files;
    private readonly ParquetRowGroupInfo[] _rowGroups;

    private ParquetDenseReader(string path, ParquetDenseFile[] files, int width)
    {
        _files = files;
        FeatureWidth = width;
        var groups = new List<ParquetRowGroupInfo>();
        for (var f = 0; f < files.Length; f++)
        {
            for (var g = 0; g < files[f].RowGroupRows.Length; g++)
            {
                if (files[f].RowGroupRows[g] > 0)
                {
                    groups.Add(new ParquetRowGroupInfo(f, g, checked((int)files[f].RowGroupRows[g]), files[f].RowGroupFirstRow[g]));
                }
            }
        }

        _rowGroups = [.. groups];
        RowCount = files.Sum(f => f.Rows);
        Files = files.Select(f => f.Name).ToArray();
        Description = files.Length == 1 ? files[0].Name : $"{path} ({files.Length} Parquet files)";
    }

    /// <summary>Values in each row's feature vector.</summary>
    public int FeatureWidth { get; }

    /// <summary>Rows over all files, from the footers.</summary>
    public long RowCount { get; }

    /// <summary>The files read, in path order, as messages name them; indices into this list are the file numbers of <see cref="RowGroups"/> and <see cref="ParquetDensePosition"/>.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>The non-empty row groups in reading order (files in path order, row groups in file order).</summary>
    public IReadOnlyList<ParquetRowGroupInfo> RowGroups => _rowGroups;

    /// <summary>What is read, for messages: the file, or the path and the number of files.</summary>
    public string Description { get; }

    /// <summary>Opens Parquet data whose features are one vector (list) column, or a single numeric column.</summary>
    /// <param name="path">A file, a folder of part files (hidden <c>_*</c>/<c>.*</c> entries skipped) or a glob; a local path, <c>file://</c> URI or blob URI.</param>
    /// <param name="featuresColumn">The feature column: a list of double or float, or a single numeric column.</param>
    /// <param name="labelColumn">The label column: numeric or boolean.</param>
    /// <param name="resolver">Resolves the path to a store; the default resolver (local paths, <c>file://</c>, registered blob stores) if null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The reader, planned from the footers.</returns>
    /// <exception cref="BlobNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="SchemaException">A column does not exist; the message names the file and lists its columns.</exception>
    /// <exception cref="DataFormatException">A file is not Parquet, a column has an unsupported type, or a footer shows a vector of another width or a null; the message names the file, row group, column and row.</exception>
    public static ParquetDenseReader Open(string path, string featuresColumn = "features", string labelColumn = "label", StorageResolver? resolver = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrEmpty(featuresColumn);
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        return Open(path, SourceFiles.Expand(path, resolver, ".parquet", cancellationToken), featuresColumn, [], labelColumn, cancellationToken);
    }

    /// <summary>Opens Parquet data whose features are several scalar columns (one value each, in the given order).</summary>
    /// <param name="path">A file, a folder of part files or a glob; a local path, <c>file://</c> URI or blob URI.</param>
    /// <param name="featureColumns">The feature columns, numeric or boolean; at least one.</param>
    /// <param name="labelColumn">The label column: numeric or boolean.</param>
    /// <param name="resolver">Resolves the path to a store; the default resolver (local paths, <c>file://</c>, registered blob stores) if null.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The reader, planned from the footers.</returns>
    /// <exception cref="BlobNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="SchemaException">A column does not exist; the message names the file and lists its columns.</exception>
    /// <exception cref="DataFormatException">A file is not Parquet, a column has an unsupported type, or a footer shows a null; the message names the file, row group, column and row.</exception>
    public static ParquetDenseReader Open(string path, IReadOnlyList<string> featureColumns, string labelColumn = "label", StorageResolver? resolver = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(featureColumns);
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        if (featureColumns.Count == 0)
        {
            throw new ArgumentException("At least one feature column is needed.", nameof(featureColumns));
        }

        foreach (var column in featureColumns)
        {
            ArgumentException.ThrowIfNullOrEmpty(column, nameof(featureColumns));
        }

        return Open(path, SourceFiles.Expand(path, resolver, ".parquet", cancellationToken), null, featureColumns, labelColumn, cancellationToken);
    }

    /// <summary>
    /// Opens a dense reader over the files of a frame that is a plain <see cref="Frame.ReadParquet"/> scan (with or
    /// without a column projection), or returns null for any other frame (a transformed, joined or in-memory one),
    /// which must then be read through its record batches.
    /// </summary>
    /// <param name="frame">The frame.</param>
    /// <param name="featuresColumn">The feature column: a list of double or float, or a single numeric column.</param>
    /// <param name="labelColumn">The label column: numeric or boolean.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The reader, or null when the frame is not a plain Parquet scan.</returns>
    /// <exception cref="SchemaException">A column does not exist in the frame.</exception>
    /// <exception cref="DataFormatException">A column has an unsupported type, or a footer shows a vector of another width or a null.</exception>
    public static ParquetDenseReader? TryOpen(Frame frame, string featuresColumn, string labelColumn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentException.ThrowIfNullOrEmpty(featuresColumn);
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        if (!ParquetScan.TryGetScan(frame, out var path, out var files))
        {
            return null;
        }

        foreach (var column in new[] { featuresColumn, labelColumn })
        {
            if (frame.Schema.GetFieldIndex(column) < 0)
            {
                throw new SchemaException($"Cannot read column '{column}': the frame does not have it. Columns: {string.Join(", ", frame.Columns)}.");
            }
        }

        return Open(path, files, featuresColumn, [], labelColumn, cancellationToken);
    }

    /// <summary>Decodes one row group into <paramref name="features"/> (at least rows × <see cref="FeatureWidth"/> values, row-major) and <paramref name="labels"/> (at least rows values), opening the file for this call.</summary>
    /// <param name="file">The file's index in <see cref="Files"/>.</param>
    /// <param name="rowGroup">The row group within the file.</param>
    /// <param name="features">Receives the feature matrix.</param>
    /// <param name="labels">Receives the labels.</param>
    /// <param name="cancellationToken">Stops decoding.</param>
    /// <exception cref="DataFormatException">A row has a null or a vector of another width, or the file is corrupt or changed; the message names the file, row group, column and row.</exception>
    public void ReadRowGroup(int file, int rowGroup, Memory<float> features, Memory<float> labels, CancellationToken cancellationToken = default) =>
        ReadRowGroupOnce(file, rowGroup, features, labels, cancellationToken);

    /// <inheritdoc cref="ReadRowGroup(int, int, Memory{float}, Memory{float}, CancellationToken)"/>
    public void ReadRowGroup(int file, int rowGroup, Memory<double> features, Memory<double> labels, CancellationToken cancellationToken = default) =>
        ReadRowGroupOnce(file, rowGroup, features, labels, cancellationToken);

    /// <summary>Opens a cursor that keeps the last few files open between reads; use it from one thread at a time and dispose it.</summary>
    /// <returns>The cursor.</returns>
    public ParquetDenseCursor OpenCursor() => new(this);

    /// <summary>Rows in row group <paramref name="rowGroup"/> of file <paramref name="file"/> (which must exist).</summary>
    internal int RowsIn(int file, int rowGroup)
    {
        CheckRowGroup(file, rowGroup);
        return checked((int)_files[file].RowGroupRows[rowGroup]);
    }

    internal int RowGroupCount(int file) => _files[file].RowGroupRows.Length;

    internal OpenParquetFile OpenFile(int file, CancellationToken cancellationToken) => OpenFile(_files[file].Location, cancellationToken);

    /// <summary>Decodes with an open file; checks the buffers first.</summary>
    internal void Decode<T>(ParquetReader reader, int file, int rowGroup, Memory<T> features, Memory<T> labels, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        var rows = RowsIn(file, rowGroup);
        if (features.Length < (long)rows * FeatureWidth || labels.Length < rows)
        {
            throw new ArgumentException($"Row group {rowGroup} of {_files[file].Name} has {rows} rows: the buffers must hold {(long)rows * FeatureWidth} features and {rows} labels, but hold {features.Length} and {labels.Length}.", nameof(features));
        }

        ParquetDenseDecoder.Decode(reader, _files[file], rowGroup, FeatureWidth, features, labels, cancellationToken);
    }

    private void ReadRowGroupOnce<T>(int file, int rowGroup, Memory<T> features, Memory<T> labels, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        CheckRowGroup(file, rowGroup);
        using var open = OpenFile(file, cancellationToken);
        Decode(open.Reader, file, rowGroup, features, labels, cancellationToken);
    }

    private void CheckRowGroup(int file, int rowGroup)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(file);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(file, _files.Length);
        ArgumentOutOfRangeException.ThrowIfNegative(rowGroup);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rowGroup, _files[file].RowGroupRows.Length);
    }

    /// <summary>Plans the files from their footers and checks them (see <see cref="ParquetDensePlanner"/>).</summary>
    private static ParquetDenseReader Open(string path, IReadOnlyList<StorageLocation> locations, string? vectorColumn, IReadOnlyList<string> scalarColumns, string labelColumn, CancellationToken cancellationToken)
    {
        var (files, width) = ParquetDensePlanner.Plan(path, locations, vectorColumn, scalarColumns, labelColumn, cancellationToken);
        return new ParquetDenseReader(path, files, width);
    }

    internal static OpenParquetFile OpenFile(StorageLocation location, CancellationToken cancellationToken)
    {
        Stream? stream = null;
        try
        {
            stream = new BlockingReadStream(location.Store.OpenRead(location.Path, cancellationToken));
            var reader = ParquetReader.CreateAsync(stream, ParquetRowGroupSource.ReaderOptions, leaveStreamOpen: true, cancellationToken).GetAwaiter().GetResult();
            var open = new OpenParquetFile(stream, reader);
            try
            {
                ParquetIntegrity.CheckFooter(reader.Metadata!, stream.Length, location.ToString());
            }
            catch
            {
                open.Dispose();
                throw;
            }

            return open;
        }
        catch (Exception e) when (e is not MlopsException and not OperationCanceledException)
        {
            stream?.Dispose();
            throw new DataFormatException($"Not a readable Parquet file ({e.Message}).", location.ToString(), innerException: e);
        }
    }

    /// <summary>An open file: the stream and the reader over it (which has parsed the footer).</summary>
    internal sealed class OpenParquetFile(Stream stream, ParquetReader reader) : IDisposable
    {
        public ParquetReader Reader { get; } = reader;

        public void Dispose()
        {
            Reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            stream.Dispose();
        }
    }
}
