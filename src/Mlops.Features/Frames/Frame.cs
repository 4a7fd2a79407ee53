using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>
/// An immutable, lazily evaluated table of Arrow record batches, split into partitions like a Spark
/// DataFrame. Transformations (<see cref="Select(string[])"/>, <c>Filter</c>, <c>Join</c>, ...) return new
/// frames and read nothing; actions (<see cref="Count"/>, <see cref="Collect"/>, <see cref="Show"/>,
/// <c>WriteParquet</c>) stream the batches through, processing partitions in parallel, so a frame much
/// larger than memory can be transformed and written with only a few batches in flight.
/// </summary>
/// <remarks>
/// A partition is a function that produces a stream of record batches; calling it again produces the
/// same data again, so a frame can be read more than once. Readers create one partition per file or
/// row group; in-memory frames one per batch.
/// <para>Actions are synchronous and block the calling thread while they compute on up to
/// <see cref="FrameSession.DegreeOfParallelism"/> cores; there are no <c>Async</c> twins, because the work is
/// CPU-bound and a twin would only wrap <c>Task.Run</c>. To keep a UI or request thread free, run the action
/// off it: <c>await Task.Run(() => frame.Count(ct), ct)</c>.</para>
/// </remarks>
public sealed partial class Frame
{
    private readonly IReadOnlyList<FramePartition> _partitions;

    private Frame(Schema schema, IReadOnlyList<FramePartition> partitions, long? estimatedRowCount, bool rowCountIsExact, FrameSession? session = null)
    {
        Schema = schema;
        Session = session ?? FrameSession.Default;
        _partitions = partitions;
        EstimatedRowCount = estimatedRowCount;
        IsRowCountExact = estimatedRowCount is not null && rowCountIsExact;
    }

    /// <summary>The frame's schema: column names, Arrow types, nullability and metadata.</summary>
    public Schema Schema { get; }

    /// <summary>The column names, in order.</summary>
    public IReadOnlyList<string> Columns => Schema.FieldsList.Select(f => f.Name).ToArray();

    /// <summary>How many partitions the frame has; actions process up to <see cref="FrameSession.DegreeOfParallelism"/> of them at once.</summary>
    public int PartitionCount => _partitions.Count;

    /// <summary>
    /// The number of rows if known without reading (in-memory frames, Parquet metadata), otherwise an
    /// estimate (text files: from their size) or <see langword="null"/>. Joins use it to build their hash
    /// table on the smaller side; <see cref="IsRowCountExact"/> says whether it is exact.
    /// </summary>
    public long? EstimatedRowCount { get; }

    /// <summary>Whether <see cref="EstimatedRowCount"/> is the exact number of rows rather than an estimate.</summary>
    public bool IsRowCountExact { get; }

    /// <summary>
    /// The session the frame runs in: its degree of parallelism governs the frame's actions and joins, and its
    /// resolver the paths <c>WriteParquet</c> is given. Frames read through a <see cref="FrameSession"/> carry it,
    /// transformations keep it, a join keeps the left side's; frames built with <see cref="FromBatches(Schema, IEnumerable{RecordBatch})"/>
    /// and the static readers have <see cref="FrameSession.Default"/>.
    /// </summary>
    public FrameSession Session { get; }

    /// <summary>The partitions, for operators in this assembly.</summary>
    internal IReadOnlyList<FramePartition> Partitions => _partitions;

    /// <summary>Creates a frame from partitions, each a function that streams record batches of <paramref name="schema"/>.</summary>
    /// <param name="schema">The schema every batch has.</param>
    /// <param name="partitions">The partitions; each may be called more than once and must yield the same data each time.</param>
    /// <param name="estimatedRowCount">The row count if known or estimated, for planning joins.</param>
    /// <param name="rowCountIsExact">Whether <paramref name="estimatedRowCount"/> is exact (consumers such as ML.NET then rely on it).</param>
    public static Frame FromPartitions(Schema schema, IEnumerable<FramePartition> partitions, long? estimatedRowCount = null, bool rowCountIsExact = false)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(partitions);
        return new Frame(schema, partitions.ToArray(), estimatedRowCount, rowCountIsExact);
    }

    /// <summary>Creates an in-memory frame with one partition per batch.</summary>
    /// <exception cref="SchemaException">A batch's schema differs from <paramref name="schema"/>.</exception>
    public static Frame FromBatches(Schema schema, IEnumerable<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        var list = batches.ToArray();
        for (var i = 0; i < list.Length; i++)
        {
            SchemaChecks.RequireSameFields(schema, list[i].Schema, $"batch {i}");
        }

        var partitions = list.Select(b => (FramePartition)(_ => [b])).ToArray();
        return new Frame(schema, partitions, list.Sum(b => (long)b.Length), rowCountIsExact: true);
    }

    /// <summary>Creates an in-memory frame from one or more batches that share a schema.</summary>
    public static Frame FromBatches(params RecordBatch[] batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Length == 0)
        {
            throw new ArgumentException("At least one batch is needed to know the schema; use Frame.Empty(schema) for none.", nameof(batches));
        }

        return FromBatches(batches[0].Schema, batches);
    }

    /// <summary>
    /// Creates an in-memory frame from rows of CLR values: integers and floats as themselves (or a number that widens
    /// to the column's type), booleans, strings, dates as <see cref="DateOnly"/>, timestamps as <see cref="DateTime"/>
    /// and lists of doubles as <c>double[]</c>; <see langword="null"/> for a null. <see cref="Row"/> values come back the same way.
    /// </summary>
    /// <param name="schema">The schema; each row has one value per field, in order.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="batchSize">Rows per batch (and partition).</param>
    public static Frame FromRows(Schema schema, IEnumerable<IReadOnlyList<object?>> rows, int batchSize = 65_536)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var batches = new List<RecordBatch>();
        ColumnBuilder[]? builders = null;
        var rowNumber = 0;
        foreach (var row in rows)
        {
            builders ??= schema.FieldsList.Select(f => ColumnBuilder.Create(f.DataType)).ToArray();
            if (row.Count != builders.Length)
            {
                throw new ArgumentException($"Row {rowNumber} has {row.Count} values but the schema has {builders.Length} columns.", nameof(rows));
            }

            for (var c = 0; c < builders.Length; c++)
            {
                try
                {
                    builders[c].AppendObject(row[c]);
                }
                catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException or ArgumentException)
                {
                    throw new ArgumentException($"Row {rowNumber}, column '{schema.FieldsList[c].Name}': cannot store {row[c]?.GetType().Name} '{row[c]}' as {schema.FieldsList[c].DataType.Name}.", nameof(rows), e);
                }
            }

            rowNumber++;
            if (builders[0].Length == batchSize)
            {
                batches.Add(Build(schema, builders));
                builders = null;
            }
        }

        if (builders is not null && builders.Length > 0 && builders[0].Length > 0)
        {
            batches.Add(Build(schema, builders));
        }

        return batches.Count == 0 ? Empty(schema) : FromBatches(schema, batches);

        static RecordBatch Build(Schema schema, ColumnBuilder[] builders)
        {
            var length = builders[0].Length;
            return new RecordBatch(schema, builders.Select(b => b.Build()), length);
        }
    }

    /// <summary>The same frame, running in <paramref name="session"/>: its actions use the session's parallelism and its writes the session's resolver.</summary>
    /// <param name="session">The session, such as the host's (from <c>.AddFeatures()</c>).</param>
    public Frame WithSession(FrameSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return ReferenceEquals(session, Session) ? this : new Frame(Schema, _partitions, EstimatedRowCount, IsRowCountExact, session);
    }

    /// <summary>An empty frame with the given schema.</summary>
    public static Frame Empty(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return new Frame(schema, [], 0, rowCountIsExact: true);
    }

    /// <summary>
    /// Streams the frame's batches in partition order. Partitions are read ahead in parallel (up to
    /// <paramref name="degreeOfParallelism"/>), with at most a couple of batches buffered per partition.
    /// </summary>
    public IEnumerable<RecordBatch> ReadBatches(CancellationToken cancellationToken = default, int? degreeOfParallelism = null) =>
        FrameExecution.ReadOrdered(this, degreeOfParallelism ?? Session.DegreeOfParallelism, cancellationToken);

    /// <summary>Streams the batches of one partition on the calling thread (a partition can be read again and yields the same data).</summary>
    /// <param name="index">The partition, 0 to <see cref="PartitionCount"/> - 1.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The partition's batches, read as enumerated.</returns>
    public IEnumerable<RecordBatch> ReadPartition(int index, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _partitions.Count);
        return _partitions[index](cancellationToken);
    }

    /// <inheritdoc cref="ReadBatches"/>
    public async IAsyncEnumerable<RecordBatch> ReadBatchesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default, int? degreeOfParallelism = null)
    {
        await foreach (var batch in FrameExecution.ReadOrderedAsync(this, degreeOfParallelism ?? Session.DegreeOfParallelism, cancellationToken).ConfigureAwait(false))
        {
            yield return batch;
        }
    }

    /// <summary>
    /// Applies a batch-to-batch function to every batch, lazily. The function must return batches of
    /// <paramref name="outputSchema"/>; it may run on several threads at once (one per partition).
    /// </summary>
    public Frame MapBatches(Schema outputSchema, Func<RecordBatch, RecordBatch> map, bool preservesRowCount = false)
    {
        ArgumentNullException.ThrowIfNull(outputSchema);
        ArgumentNullException.ThrowIfNull(map);
        var partitions = _partitions.Select(p => (FramePartition)(ct => MapPartition(p, map, ct))).ToArray();
        return new Frame(outputSchema, partitions, preservesRowCount ? EstimatedRowCount : null, preservesRowCount && IsRowCountExact, Session);

        static IEnumerable<RecordBatch> MapPartition(FramePartition partition, Func<RecordBatch, RecordBatch> map, CancellationToken ct)
        {
            foreach (var batch in partition(ct))
            {
                ct.ThrowIfCancellationRequested();
                var result = map(batch);
                if (result.Length > 0)
                {
                    yield return result;
                }
            }
        }
    }

    /// <summary>Keeps only the named columns, in the given order.</summary>
    /// <exception cref="SchemaException">A column does not exist; the message lists those that do.</exception>
    public Frame Select(params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var indices = columns.Select(c => SchemaChecks.IndexOf(Schema, c, "select")).ToArray();
        var schema = new Schema(indices.Select(i => Schema.FieldsList[i]), Schema.Metadata);
        return MapBatches(schema, b => new RecordBatch(schema, indices.Select(b.Column), b.Length), preservesRowCount: true);
    }

    /// <summary>Removes the named columns; names that do not exist are ignored, as in Spark.</summary>
    public Frame Drop(params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var keep = Schema.FieldsList.Where(f => !columns.Contains(f.Name, StringComparer.Ordinal)).Select(f => f.Name).ToArray();
        return keep.Length == Schema.FieldsList.Count ? this : Select(keep);
    }

    /// <summary>Renames a column; a no-op if it does not exist, as in Spark.</summary>
    /// <exception cref="SchemaException">The new name is already taken by another column.</exception>
    public Frame WithColumnRenamed(string existing, string newName)
    {
        ArgumentException.ThrowIfNullOrEmpty(existing);
        ArgumentException.ThrowIfNullOrEmpty(newName);
        var index = Schema.GetFieldIndex(existing);
        if (index < 0 || existing == newName)
        {
            return this;
        }

        if (Schema.GetFieldIndex(newName) >= 0)
        {
            throw new SchemaException($"Cannot rename column '{existing}' to '{newName}': a column named '{newName}' already exists.");
        }

        var fields = Schema.FieldsList.Select((f, i) => i == index ? new Field(newName, f.DataType, f.IsNullable, f.Metadata) : f);
        var schema = new Schema(fields, Schema.Metadata);
        return MapBatches(schema, b => new RecordBatch(schema, Enumerable.Range(0, b.ColumnCount).Select(b.Column), b.Length), preservesRowCount: true);
    }

    /// <summary>The first <paramref name="count"/> rows, in partition order, as a new frame. Reads only what it needs.</summary>
    public Frame Limit(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var source = this;
        FramePartition single = ct => LimitBatches(source, count, ct);
        return new Frame(Schema, [single], EstimatedRowCount is { } n ? Math.Min(n, count) : null, IsRowCountExact, Session);

        static IEnumerable<RecordBatch> LimitBatches(Frame source, int count, CancellationToken ct)
        {
            var remaining = count;
            if (remaining == 0)
            {
                yield break;
            }

            // Read sequentially so that no more than needed is decoded.
            foreach (var partition in source._partitions)
            {
                foreach (var batch in partition(ct))
                {
                    if (batch.Length >= remaining)
                    {
                        yield return batch.Length == remaining ? batch : Slice(batch, 0, remaining);
                        yield break;
                    }

                    remaining -= batch.Length;
                    yield return batch;
                }
            }
        }
    }

    /// <summary>Counts the rows, reading partitions in parallel.</summary>
    /// <remarks>Blocks the calling thread (CPU-bound; no <c>Async</c> twin): off a UI or request thread, <c>await Task.Run(() => frame.Count(ct), ct)</c>.</remarks>
    public long Count(CancellationToken cancellationToken = default) =>
        FrameExecution.RunPartitions(this, (_, batches, ct) => batches.Sum(b => (long)b.Length), Session.DegreeOfParallelism, cancellationToken).Sum();

    /// <summary>Reads the whole frame into memory and returns it as a frame with one batch per partition.</summary>
    /// <remarks>Blocks the calling thread (CPU-bound; no <c>Async</c> twin): off a UI or request thread, <c>await Task.Run(() => frame.Materialize(ct), ct)</c>.</remarks>
    public Frame Materialize(CancellationToken cancellationToken = default)
    {
        var batches = FrameExecution.RunPartitions(
            this,
            (_, partition, ct) => partition.ToList(),
            Session.DegreeOfParallelism,
            cancellationToken);
        var merged = batches.Where(b => b.Count > 0).Select(b => ArrowArrays.Concat(Schema, b)).ToArray();
        return (merged.Length == 0 ? Empty(Schema) : FromBatches(Schema, merged)).WithSession(Session);
    }

    /// <summary>Reads every row into memory as <see cref="Row"/> objects. Meant for small results and tests.</summary>
    /// <remarks>Blocks the calling thread (CPU-bound; no <c>Async</c> twin): off a UI or request thread, <c>await Task.Run(() => frame.Collect(ct), ct)</c>.</remarks>
    public IReadOnlyList<Row> Collect(CancellationToken cancellationToken = default) => ToRows(ReadBatches(cancellationToken));

    /// <summary>The first <paramref name="count"/> rows, reading no more than needed.</summary>
    public IReadOnlyList<Row> Head(int count = 1, CancellationToken cancellationToken = default) =>
        ToRows(Limit(count).ReadBatches(cancellationToken, 1));

    /// <summary>Prints the first rows as a table, like Spark's <c>df.show()</c>.</summary>
    /// <param name="numRows">How many rows to print.</param>
    /// <param name="truncate">Cells longer than this are cut with "..."; 0 prints them whole.</param>
    /// <param name="output">Where to print; the console by default.</param>
    public void Show(int numRows = 20, int truncate = 20, TextWriter? output = null) =>
        (output ?? Console.Out).Write(ShowString(numRows, truncate));

    /// <summary>The text <see cref="Show"/> prints.</summary>
    public string ShowString(int numRows = 20, int truncate = 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numRows);
        var rows = ToRows(Limit(numRows + 1).ReadBatches(default, 1));
        return FrameText.Render(Schema, rows.Take(numRows).ToList(), rows.Count > numRows, truncate);
    }

    /// <summary>The schema as an indented tree, like Spark's <c>df.printSchema()</c>.</summary>
    public string SchemaString() => FrameText.RenderSchema(Schema);

    /// <inheritdoc/>
    public override string ToString() =>
        "Frame[" + string.Join(", ", Schema.FieldsList.Select(f => f.Name + ": " + FrameText.TypeName(f.DataType))) + "]";

    internal static RecordBatch Slice(RecordBatch batch, int offset, int length)
    {
        var indices = new int[length];
        for (var i = 0; i < length; i++)
        {
            indices[i] = offset + i;
        }

        return ArrowArrays.Take(batch, indices);
    }

    private IReadOnlyList<Row> ToRows(IEnumerable<RecordBatch> batches)
    {
        var rows = new List<Row>();
        var names = new RowSchema(Schema);
        foreach (var batch in batches)
        {
            for (var r = 0; r < batch.Length; r++)
            {
                var values = new object?[batch.ColumnCount];
                for (var c = 0; c < values.Length; c++)
                {
                    values[c] = ArrowValues.GetValue(batch.Column(c), r);
                }

                rows.Add(new Row(names, values));
            }
        }

        return rows;
    }
}

/// <summary>One partition of a <see cref="Frame"/>: streams its record batches each time it is called.</summary>
/// <param name="cancellationToken">Stops the stream.</param>
public delegate IEnumerable<RecordBatch> FramePartition(CancellationToken cancellationToken);
