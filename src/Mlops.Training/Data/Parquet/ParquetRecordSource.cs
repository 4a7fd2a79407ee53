using Mlops.Features.IO;
using Mlops.Storage;
using Mlops.Training.Data.Sources;
using Parquet;
using static TorchSharp.torch;

namespace Mlops.Training.Data.Parquet;

/// <summary>
/// Records from a set of Parquet files: every non-empty row group is a unit. Opening reads only the footers (and, to
/// name a bad row precisely, a row group whose footer already shows a problem); row groups are decoded when read.
/// </summary>
internal sealed class ParquetRecordSource : RecordSource
{
    private static readonly ParquetOptions ReaderOptions = new() { TreatByteArrayAsString = true };

    private readonly ParquetFilePlan[] _files;
    private readonly SourceUnit[] _units;
    private readonly (int File, int RowGroup)[] _places;
    private readonly string _description;

    private readonly int _readAhead;

    private ParquetRecordSource(string path, ParquetFilePlan[] files, int width, int readAhead)
    {
        _files = files;
        _readAhead = readAhead;
        FeatureWidth = width;
        var units = new List<SourceUnit>();
        var places = new List<(int, int)>();
        for (var f = 0; f < files.Length; f++)
        {
            for (var g = 0; g < files[f].RowGroupRows.Length; g++)
            {
                if (files[f].RowGroupRows[g] > 0)
                {
                    units.Add(new SourceUnit(f, checked((int)files[f].RowGroupRows[g])));
                    places.Add((f, g));
                }
            }
        }

        _units = [.. units];
        _places = [.. places];
        _description = files.Length == 1 ? files[0].Name : $"{path} ({files.Length} Parquet files)";
    }

    public override int FeatureWidth { get; }

    public override IReadOnlyList<SourceUnit> Units => _units;

    public override int FileCount => _files.Length;

    public override string Description => _description;

    /// <summary>Lists the files at <paramref name="path"/>, plans the columns from their footers and checks them.</summary>
    /// <param name="path">A file, folder of part files or glob.</param>
    /// <param name="vectorColumn">The list column holding feature vectors, or null for <paramref name="scalarColumns"/>.</param>
    /// <param name="scalarColumns">Scalar feature columns (when <paramref name="vectorColumn"/> is null).</param>
    /// <param name="labelColumn">The label column.</param>
    /// <param name="options">Store resolution.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    public static ParquetRecordSource Open(string path, string? vectorColumn, IReadOnlyList<string> scalarColumns, string labelColumn, ParquetDatasetOptions options, CancellationToken cancellationToken)
    {
        var locations = SourceFiles.Expand(path, options.Resolver, ".parquet", cancellationToken);
        var files = new ParquetFilePlan[locations.Count];
        var failures = new Exception?[locations.Count];
        Parallel.For(0, locations.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(8, Environment.ProcessorCount * 2), CancellationToken = cancellationToken }, i =>
        {
            try
            {
                files[i] = PlanFile(locations[i], vectorColumn, scalarColumns, labelColumn, cancellationToken);
            }
            catch (Exception e)
            {
                failures[i] = e;
            }
        });
        if (failures.FirstOrDefault(e => e is not null) is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        var width = FeatureWidthOf(path, files, cancellationToken);
        CheckFooters(files, width, cancellationToken);
        return new ParquetRecordSource(path, files, width, options.ReadAheadRowGroups);
    }

    public override IRecordBlockReader OpenReader(ScalarType elementType) => new Reader(this, elementType);

    private static ParquetFilePlan PlanFile(StorageLocation location, string? vectorColumn, IReadOnlyList<string> scalarColumns, string labelColumn, CancellationToken cancellationToken)
    {
        using var file = OpenFile(location, cancellationToken);
        var reader = file.Reader;
        var schema = reader.Schema;
        var name = location.ToString();

        global::Parquet.Schema.Field Require(string column, string role)
        {
            return ParquetColumnPlan.Find(schema, column)
                ?? throw new SchemaException($"{name}: the {role} column '{column}' does not exist. Columns: {ParquetColumnPlan.ListColumns(schema)}. Pass the right name to ParquetDataset.Open.");
        }

        VectorColumn? vector = null;
        var scalars = new ScalarColumn[vectorColumn is null ? scalarColumns.Count : 0];
        if (vectorColumn is not null)
        {
            var field = Require(vectorColumn, "features");
            vector = ParquetColumnPlan.TryVector(field);
            if (vector is null)
            {
                // A single numeric column is a vector of width 1.
                scalars = [ParquetColumnPlan.TryScalar(field) ?? throw Unsupported(field, "features", "a list of double or float (as VectorAssembler writes), or a numeric column")];
            }
        }
        else
        {
            for (var j = 0; j < scalarColumns.Count; j++)
            {
                var field = Require(scalarColumns[j], "feature");
                scalars[j] = ParquetColumnPlan.TryScalar(field) ?? throw Unsupported(field, "feature", "a numeric or boolean column");
            }
        }

        var labelField = Require(labelColumn, "label");
        var label = ParquetColumnPlan.TryScalar(labelField) ?? throw Unsupported(labelField, "label", "a numeric or boolean column");

        var groups = reader.RowGroupCount;
        var rows = new long[groups];
        var vectorValues = new long[groups];
        var mayHoldNulls = new bool[groups];
        for (var g = 0; g < groups; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            rows[g] = group.RowCount;
            if (vector is not null)
            {
                var chunk = group.GetMetadata(vector.Leaf)?.MetaData;
                vectorValues[g] = chunk?.NumValues ?? 0;
                mayHoldNulls[g] |= chunk?.Statistics?.NullCount > 0;
            }

            foreach (var column in scalars.Append(label))
            {
                mayHoldNulls[g] |= group.GetMetadata(column.Field)?.MetaData?.Statistics?.NullCount > 0;
            }
        }

        return new ParquetFilePlan(location, vector, scalars, label, rows, vectorValues, mayHoldNulls);

        DataFormatException Unsupported(global::Parquet.Schema.Field field, string role, string wanted) =>
            new($"The {role} column has type {ParquetColumnPlan.Describe(field)}; it must be {wanted}.", name, column: field.Name);
    }

    /// <summary>The number of scalar feature columns, or the width of the vectors; every file must store the features the same way.</summary>
    private static int FeatureWidthOf(string path, ParquetFilePlan[] files, CancellationToken cancellationToken)
    {
        var first = files[0];
        foreach (var file in files)
        {
            if ((file.Vector is null) != (first.Vector is null))
            {
                throw new DataFormatException(
                    $"The features are {(file.Vector is null ? "a scalar column" : "a vector column")} here but {(first.Vector is null ? "a scalar column" : "a vector column")} in {first.Name}; all files read together must share a schema.",
                    file.Name,
                    column: file.Vector?.Name ?? file.Scalars[0].Name);
            }
        }

        return first.Vector is null ? first.Scalars.Length : VectorWidth(path, files, cancellationToken);
    }

    /// <summary>The vector width: from the first non-empty row group's footer when it divides evenly, else from its first row.</summary>
    private static int VectorWidth(string path, ParquetFilePlan[] files, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            for (var g = 0; g < file.RowGroupRows.Length; g++)
            {
                var rows = file.RowGroupRows[g];
                if (rows == 0)
                {
                    continue;
                }

                var values = file.VectorValues[g];
                if (values % rows == 0 && values / rows is > 0 and <= int.MaxValue)
                {
                    return (int)(values / rows);
                }

                // The footer already shows unequal vectors: decode the group and report the first bad row against row 0's width.
                using var open = OpenFile(file.Location, cancellationToken);
                var width = ParquetBlockDecoder.FirstVectorLength(open.Reader, file, g, cancellationToken);
                ParquetBlockDecoder.CheckVectors(open.Reader, file, g, width, cancellationToken);
                return width;
            }
        }

        throw new DataFormatException("The dataset has no rows, so its feature width is unknown.", path);
    }

    /// <summary>Checks every row group's footer against the width and null statistics; a group that disagrees is decoded to name the row.</summary>
    private static void CheckFooters(ParquetFilePlan[] files, int width, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            OpenParquetFile? open = null;
            try
            {
                for (var g = 0; g < file.RowGroupRows.Length; g++)
                {
                    var badWidth = file.Vector is not null && file.RowGroupRows[g] > 0 && file.VectorValues[g] != file.RowGroupRows[g] * width;
                    if (!badWidth && !file.MayHoldNulls[g])
                    {
                        continue;
                    }

                    open ??= OpenFile(file.Location, cancellationToken);
                    if (file.Vector is not null)
                    {
                        ParquetBlockDecoder.CheckVectors(open.Reader, file, g, width, cancellationToken);
                    }

                    ParquetBlockDecoder.CheckScalars(open.Reader, file, g, cancellationToken);
                }
            }
            finally
            {
                open?.Dispose();
            }
        }
    }

    private static OpenParquetFile OpenFile(StorageLocation location, CancellationToken cancellationToken)
    {
        Stream? stream = null;
        try
        {
            stream = new BlockingReadStream(location.Store.OpenRead(location.Path, cancellationToken));
            var reader = ParquetReader.CreateAsync(stream, ReaderOptions, leaveStreamOpen: true, cancellationToken).GetAwaiter().GetResult();
            return new OpenParquetFile(stream, reader);
        }
        catch (Exception e) when (e is not MlopsException and not OperationCanceledException)
        {
            stream?.Dispose();
            throw new DataFormatException($"Not a readable Parquet file ({e.Message}).", location.ToString(), innerException: e);
        }
    }

    /// <summary>An open file: the stream and the reader over it (which has parsed the footer).</summary>
    private sealed class OpenParquetFile(Stream stream, ParquetReader reader) : IDisposable
    {
        public ParquetReader Reader { get; } = reader;

        public void Dispose()
        {
            Reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            stream.Dispose();
        }
    }

    /// <summary>
    /// One enumeration's decoder: keeps the last few files open, since row groups of a file tend to be read together,
    /// and decodes up to the source's read-ahead count of hinted row groups on thread-pool threads (each with its own
    /// file handle, as a Parquet reader is not shared between threads).
    /// </summary>
    private sealed class Reader(ParquetRecordSource source, ScalarType elementType) : IRecordBlockReader
    {
        private const int OpenFilesKept = 4;
        private readonly List<(int File, OpenParquetFile Open)> _open = [];
        private readonly Dictionary<int, Task<RecordBlock>> _ahead = [];
        private readonly List<Task> _abandoned = [];
        private readonly CancellationTokenSource _stop = new();

        public RecordBlock Load(int unit, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_ahead.Remove(unit, out var ahead))
            {
                try
                {
                    ahead.Wait(cancellationToken);
                }
                catch (AggregateException)
                {
                    // Rethrown unwrapped, as the decoder threw it, just below.
                }

                return ahead.GetAwaiter().GetResult();
            }

            var (f, _) = source._places[unit];
            return Decode(unit, Open(f, cancellationToken).Reader, cancellationToken);
        }

        public void ReadAhead(int unit, CancellationToken cancellationToken)
        {
            if (_ahead.Count >= source._readAhead || _ahead.ContainsKey(unit))
            {
                return;
            }

            var token = _stop.Token;
            _ahead[unit] = Task.Run(
                () =>
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, cancellationToken);
                    using var open = OpenFile(source._files[source._places[unit].File].Location, linked.Token);
                    return Decode(unit, open.Reader, linked.Token);
                },
                CancellationToken.None);
        }

        public void Forget(int unit)
        {
            if (_ahead.Remove(unit, out var ahead))
            {
                _abandoned.Add(ahead);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            foreach (var task in _ahead.Values.Concat(_abandoned))
            {
                try
                {
                    task.Wait();
                }
                catch (AggregateException)
                {
                    // Stopped or failed work read ahead for rows that are no longer wanted.
                }
            }

            _ahead.Clear();
            _abandoned.Clear();
            foreach (var (_, open) in _open)
            {
                open.Dispose();
            }

            _open.Clear();
            _stop.Dispose();
        }

        private RecordBlock Decode(int unit, ParquetReader reader, CancellationToken cancellationToken)
        {
            var (f, g) = source._places[unit];
            var file = source._files[f];
            try
            {
                return ParquetBlockDecoder.Decode(reader, file, g, source.FeatureWidth, elementType, cancellationToken);
            }
            catch (Exception e) when (e is not MlopsException and not OperationCanceledException)
            {
                throw new DataFormatException($"Cannot decode the row group ({e.Message}); the file is corrupt or was changed after the dataset was opened.", file.Name, rowGroup: g, innerException: e);
            }
        }

        private OpenParquetFile Open(int file, CancellationToken cancellationToken)
        {
            for (var i = 0; i < _open.Count; i++)
            {
                if (_open[i].File == file)
                {
                    return _open[i].Open;
                }
            }

            if (_open.Count == OpenFilesKept)
            {
                _open[0].Open.Dispose();
                _open.RemoveAt(0);
            }

            var open = OpenFile(source._files[file].Location, cancellationToken);
            _open.Add((file, open));
            return open;
        }
    }
}
