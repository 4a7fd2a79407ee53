using System.Numerics;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features;
using static TorchSharp.torch;

namespace Mlops.Training.Data.Sources;

/// <summary>
/// Records from any frame (a transformed, joined or in-memory one) through its record batches: every partition is a
/// unit, converted batch by batch into dense arrays when it is read. The partitions' row counts are not known from
/// a plan, so they are counted once, by streaming the frame (partitions in parallel), the first time the source's
/// units are needed.
/// </summary>
internal sealed class FrameRecordSource : RecordSource
{
    private readonly Frame _frame;
    private readonly string _features;
    private readonly string _label;
    private readonly Lazy<SourceUnit[]> _units;

    public FrameRecordSource(Frame frame, string featuresColumn, string labelColumn)
    {
        _frame = frame;
        _features = featuresColumn;
        _label = labelColumn;
        FeatureWidth = WidthOf(frame, featuresColumn, labelColumn);
        _units = new Lazy<SourceUnit[]>(CountRows, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public override int FeatureWidth { get; }

    public override IReadOnlyList<SourceUnit> Units => _units.Value;

    public override int FileCount => 0;

    public override string Description => $"a frame of {_frame.PartitionCount} partitions (features '{_features}', label '{_label}')";

    public override IRecordBlockReader OpenReader(ScalarType elementType) => new Reader(this, elementType);

    /// <summary>The feature width from the schema: 1 for a scalar, the list size for a fixed-size list; for a variable list, from the first row.</summary>
    private static int WidthOf(Frame frame, string featuresColumn, string labelColumn)
    {
        var features = Require(frame, featuresColumn, "features");
        var label = Require(frame, labelColumn, "label");
        if (!IsScalar(label.DataType))
        {
            throw new DataFormatException($"The label column has type {label.DataType.Name}; it must be a numeric or boolean column.", "frame", column: labelColumn);
        }

        switch (features.DataType)
        {
            case FixedSizeListType { ValueDataType: DoubleType or FloatType } fixedList:
                return fixedList.ListSize;
            case ListType { ValueDataType: DoubleType or FloatType }:
                return FirstVectorLength(frame, featuresColumn);
            case var type when IsScalar(type):
                return 1;
            default:
                throw new DataFormatException($"The features column has type {features.DataType.Name}; it must be a list of double or float (as VectorAssembler writes), or a numeric column.", "frame", column: featuresColumn);
        }
    }

    private static Field Require(Frame frame, string column, string role) =>
        frame.Schema.GetFieldByName(column)
        ?? throw new SchemaException($"The {role} column '{column}' does not exist in the frame. Columns: {string.Join(", ", frame.Columns)}.");

    private static bool IsScalar(IArrowType type) => type is BooleanType or DoubleType or FloatType or HalfFloatType
        or Int8Type or Int16Type or Int32Type or Int64Type or UInt8Type or UInt16Type or UInt32Type or UInt64Type;

    private static int FirstVectorLength(Frame frame, string column)
    {
        foreach (var batch in frame.Limit(1).ReadBatches())
        {
            if (batch.Length > 0)
            {
                var list = (ListArray)batch.Column(column);
                var length = list.IsNull(0) ? 0 : list.GetValueLength(0);
                if (length == 0)
                {
                    throw new DataFormatException("row 0 of the frame has a null or empty vector; feature vectors need at least one value. Fill or drop such rows before training.", "frame", column: column);
                }

                return length;
            }
        }

        throw new DataFormatException("The frame has no rows, so its feature width is unknown.", "frame", column: column);
    }

    private SourceUnit[] CountRows()
    {
        var counts = FrameExecution.RunPartitions(_frame, static (_, batches, _) => batches.Sum(b => (long)b.Length), Environment.ProcessorCount, CancellationToken.None);
        return counts.Select(c => new SourceUnit(0, checked((int)c))).ToArray();
    }

    /// <summary>Streams partition <paramref name="unit"/> into one block, checking every row.</summary>
    private RecordBlock Decode<T>(int unit, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        var rows = _units.Value[unit].Rows;
        var width = FeatureWidth;
        var features = GC.AllocateUninitializedArray<T>(checked(rows * width));
        var labels = GC.AllocateUninitializedArray<T>(rows);
        var row = 0;
        foreach (var batch in _frame.ReadPartition(unit, cancellationToken))
        {
            if (row + batch.Length > rows)
            {
                throw new DataFormatException($"Partition {unit} yields more than the {rows} rows it had when they were counted; a frame read by a dataset must yield the same rows every time.", "frame");
            }

            var place = new Place(unit, row);
            ArrowDenseCopy.Features(batch.Column(_features), _features, width, features.AsSpan(row * width, batch.Length * width), place);
            ArrowDenseCopy.Scalars(batch.Column(_label), _label, "label", labels.AsSpan(row, batch.Length), 1, 0, place);
            row += batch.Length;
        }

        if (row != rows)
        {
            throw new DataFormatException($"Partition {unit} yields {row} rows but had {rows} when they were counted; a frame read by a dataset must yield the same rows every time.", "frame");
        }

        return typeof(T) == typeof(double)
            ? new RecordBlock((double[])(object)features, (double[])(object)labels, width)
            : new RecordBlock((float[])(object)features, (float[])(object)labels, width);
    }

    private sealed class Reader(FrameRecordSource source, ScalarType elementType) : IRecordBlockReader
    {
        public RecordBlock Load(int unit, CancellationToken cancellationToken) =>
            elementType == ScalarType.Float64 ? source.Decode<double>(unit, cancellationToken) : source.Decode<float>(unit, cancellationToken);

        public void Dispose()
        {
        }
    }
}

/// <summary>Where a batch's rows start, for messages: the partition and the row within it.</summary>
internal readonly record struct Place(int Partition, int FirstRow)
{
    public DataFormatException Problem(string column, int row, string what) =>
        new($"row {FirstRow + row} of partition {Partition} has {what}. Fill or drop such rows before training.", "frame", column: column);
}
