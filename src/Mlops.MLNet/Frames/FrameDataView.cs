using System.Runtime.CompilerServices;
using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.ML;
using Microsoft.ML.Data;
using Mlops.Features;

namespace Mlops.MLNet;

/// <summary>
/// A frame as an ML.NET <see cref="IDataView"/>. A serial cursor streams the frame's batches in order with
/// read-ahead; a cursor set splits the partitions among cursors that run independently. Row ids are
/// (partition, row within partition), the same in every cursoring.
/// </summary>
internal sealed class FrameDataView : IDataView
{
    private readonly Frame _frame;
    private readonly FrameDataViewColumn[] _columns;
    private readonly int? _degree;

    private FrameDataView(Frame frame, FrameDataViewColumn[] columns, DataViewSchema schema, int? degree)
    {
        _frame = frame;
        _columns = columns;
        Schema = schema;
        _degree = degree;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public static FrameDataView Create(Frame frame, FrameDataViewOptions options, CancellationToken cancellationToken)
    {
        var names = options.Columns ?? frame.Columns;
        var problems = new List<string>();
        var chosen = new List<(string Name, int Index, DataViewValueKind Kind)>();
        foreach (var name in names)
        {
            var index = frame.Schema.GetFieldIndex(name);
            if (index < 0)
            {
                problems.Add($"column '{name}' does not exist");
                continue;
            }

            var type = frame.Schema.FieldsList[index].DataType;
            if (FrameDataViewColumn.KindOf(type, options) is { } kind)
            {
                chosen.Add((name, index, kind));
            }
            else
            {
                problems.Add($"column '{name}' has type {FrameText.TypeName(type)}, which ML.NET cannot hold");
            }
        }

        if (problems.Count > 0)
        {
            throw new SchemaException(
                "Cannot present the frame to ML.NET: " + string.Join("; ", problems) +
                ". Select or cast the columns first (ML.NET takes boolean, tinyint, smallint, int, bigint, float, double, string, date, timestamp and array<double>).");
        }

        var vectorNames = chosen.Where(c => c.Kind is DataViewValueKind.SingleVector or DataViewValueKind.DoubleVector).Select(c => c.Name).Distinct().ToArray();
        var sizes = VectorSizes.Resolve(frame, vectorNames, cancellationToken);
        var columns = new List<FrameDataViewColumn>();
        var builder = new DataViewSchema.Builder();
        foreach (var (name, index, kind) in chosen)
        {
            var field = frame.Schema.FieldsList[index];
            var size = 0;
            IReadOnlyList<string>? slotNames = null;
            if (kind is DataViewValueKind.SingleVector or DataViewValueKind.DoubleVector)
            {
                size = sizes[System.Array.IndexOf(vectorNames, name)]
                    ?? throw new SchemaException($"Cannot present vector column '{name}' to ML.NET: its metadata has no size and it has no non-null value. Record the size with VectorMetadata.WithSize.");
                slotNames = VectorMetadata.GetSlotNames(field) is { } names2 && names2.Count == size ? names2 : null;
            }

            var column = new FrameDataViewColumn(name, index, kind, size, slotNames);
            columns.Add(column);
            builder.AddColumn(name, column.Type, SlotNameAnnotations(column));
        }

        return new FrameDataView(frame, columns.ToArray(), builder.ToSchema(), options.DegreeOfParallelism) { NullsAsDefault = options.NullsAsDefault };
    }

    internal bool NullsAsDefault { get; private init; }

    internal IReadOnlyList<FrameDataViewColumn> Columns => _columns;

    /// <summary>The frame's row count when it knows it without reading (in-memory frames, Parquet metadata).</summary>
    public long? GetRowCount() => _frame.IsRowCountExact ? _frame.EstimatedRowCount : null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = ActiveColumns(columnsNeeded);
        return new FrameRowCursor(this, active, SerialBatches(), batchId: null);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var active = ActiveColumns(columnsNeeded);
        var partitions = _frame.Partitions;
        var count = Math.Min(Math.Max(n, 1), partitions.Count);
        if (count <= 1)
        {
            return [new FrameRowCursor(this, active, SerialBatches(), batchId: null)];
        }

        // Cursor k takes partitions k, k + count, ...: each cursor's batch ids (the partition) increase and no two cursors share one.
        var cursors = new DataViewRowCursor[count];
        for (var k = 0; k < count; k++)
        {
            cursors[k] = new FrameRowCursor(this, active, PartitionBatches(k, count), batchId: 0);
        }

        return cursors;
    }

    private bool[] ActiveColumns(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[_columns.Length];
        foreach (var column in columnsNeeded)
        {
            if (column.Index < 0 || column.Index >= active.Length || Schema[column.Index].Name != column.Name)
            {
                throw new ArgumentException($"Column '{column.Name}' is not a column of this data view.", nameof(columnsNeeded));
            }

            active[column.Index] = true;
        }

        return active;
    }

    // Serial cursors read ahead across partitions; each batch is tagged with its partition and first row so ids stay stable.
    private IEnumerable<TaggedBatch> SerialBatches()
    {
        var tags = new ConditionalWeakTable<RecordBatch, TaggedBatch>();
        var tagged = _frame.Partitions.Select((partition, p) => (FramePartition)(ct => Tag(partition(ct), p, tags)));
        var source = Frame.FromPartitions(_frame.Schema, tagged);
        foreach (var batch in source.ReadBatches(default, _degree))
        {
            tags.TryGetValue(batch, out var tag);
            tags.Remove(batch);
            yield return tag!;
        }

        static IEnumerable<RecordBatch> Tag(IEnumerable<RecordBatch> batches, int partition, ConditionalWeakTable<RecordBatch, TaggedBatch> tags)
        {
            long rowBase = 0;
            foreach (var batch in batches)
            {
                // A fresh wrapper per batch, so a batch object a partition hands out twice still gets its own tag.
                var wrapper = new RecordBatch(batch.Schema, Enumerable.Range(0, batch.ColumnCount).Select(batch.Column), batch.Length);
                tags.AddOrUpdate(wrapper, new TaggedBatch(batch, partition, rowBase));
                rowBase += batch.Length;
                yield return wrapper;
            }
        }
    }

    private IEnumerable<TaggedBatch> PartitionBatches(int first, int step)
    {
        var partitions = _frame.Partitions;
        for (var p = first; p < partitions.Count; p += step)
        {
            long rowBase = 0;
            foreach (var batch in partitions[p](CancellationToken.None))
            {
                yield return new TaggedBatch(batch, p, rowBase);
                rowBase += batch.Length;
            }
        }
    }

    private static DataViewSchema.Annotations? SlotNameAnnotations(FrameDataViewColumn column)
    {
        if (column.SlotNames is not { } names)
        {
            return null;
        }

        var memories = names.Select(n => n.AsMemory()).ToArray();
        var annotations = new DataViewSchema.Annotations.Builder();
        annotations.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, memories.Length), (ref VBuffer<ReadOnlyMemory<char>> value) =>
        {
            var editor = VBufferEditor.Create(ref value, memories.Length);
            memories.CopyTo(editor.Values);
            value = editor.Commit();
        });
        return annotations.ToAnnotations();
    }
}

/// <summary>A batch with the partition it came from and the partition row number of its first row.</summary>
internal sealed record TaggedBatch(RecordBatch Batch, int Partition, long RowBase);
