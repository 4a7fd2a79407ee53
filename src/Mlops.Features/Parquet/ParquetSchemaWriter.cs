using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet.Meta;
using Parquet.Schema;
using ArrowTimeUnit = Apache.Arrow.Types.TimeUnit;
using ArrowDateType = Apache.Arrow.Types.Date32Type;
using ArrowListType = Apache.Arrow.Types.ListType;
using ArrowStringType = Apache.Arrow.Types.StringType;
using Field = Parquet.Schema.Field;
using ParquetDateType = Parquet.Meta.DateType;
using ParquetStringType = Parquet.Meta.StringType;
using ArrowTimestampType = Apache.Arrow.Types.TimestampType;
using ParquetTimeUnit = Parquet.Meta.TimeUnit;
using ParquetTimestampType = Parquet.Meta.TimestampType;

namespace Mlops.Features.Parquet;

/// <summary>
/// Maps an Arrow schema to the Parquet schema the writer declares. Values are always handed to Parquet.Net in
/// their raw storage form (int64 timestamps, int32 days, UTF-8 bytes) so it encodes them with a memory copy;
/// where its CLR-type-driven schema cannot say what those raw values mean, the plan carries the annotation
/// (<see cref="ParquetWriteColumn.Annotate"/>) that <see cref="ParquetFooterAnnotations"/> puts on the file.
/// </summary>
/// <remarks>
/// Timestamps keep their unit (seconds are written as milliseconds) and are marked UTC-adjusted; int8/int16
/// and uint8/uint16 are written as annotated INT32 (Parquet.Net's own narrow encoders are avoided because
/// they reuse a pooled buffer after returning it, which is unsafe when files are written in parallel).
/// </remarks>
internal static class ParquetSchemaWriter
{
    public static (ParquetSchema Schema, ParquetWriteColumn[] Columns) Map(Schema schema)
    {
        var columns = new ParquetWriteColumn[schema.FieldsList.Count];
        var fields = new List<Field>(columns.Length);
        for (var i = 0; i < columns.Length; i++)
        {
            var arrow = schema.FieldsList[i];
            var (column, field) = MapField(i, arrow);
            columns[i] = column;
            fields.Add(field);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in schema.FieldsList)
        {
            if (!names.Add(f.Name))
            {
                throw new SchemaException($"Cannot write Parquet: column name '{f.Name}' appears twice; rename one with WithColumnRenamed.");
            }
        }

        return (new ParquetSchema(fields), columns);
    }

    private static (ParquetWriteColumn Column, Field Field) MapField(int index, Apache.Arrow.Field arrow)
    {
        var name = arrow.Name;
        var nullable = arrow.IsNullable;
        ParquetWriteColumn Scalar(ParquetWriteKind kind, DataField leaf, Action<SchemaElement>? annotate = null) =>
            new(index, name, kind, leaf, nullable, false, annotate);

        switch (arrow.DataType)
        {
            case BooleanType:
                return Pair(Scalar(ParquetWriteKind.Boolean, new DataField(name, typeof(bool), nullable)));
            case Int8Type:
                return Pair(Scalar(ParquetWriteKind.Int8, new DataField(name, typeof(int), nullable), Integer(8, true)));
            case Int16Type:
                return Pair(Scalar(ParquetWriteKind.Int16, new DataField(name, typeof(int), nullable), Integer(16, true)));
            case Int32Type:
                return Pair(Scalar(ParquetWriteKind.Int32, new DataField(name, typeof(int), nullable)));
            case Int64Type:
                return Pair(Scalar(ParquetWriteKind.Int64, new DataField(name, typeof(long), nullable)));
            case UInt8Type:
                return Pair(Scalar(ParquetWriteKind.UInt8, new DataField(name, typeof(int), nullable), Integer(8, false)));
            case UInt16Type:
                return Pair(Scalar(ParquetWriteKind.UInt16, new DataField(name, typeof(int), nullable), Integer(16, false)));
            case UInt32Type:
                return Pair(Scalar(ParquetWriteKind.UInt32, new DataField(name, typeof(uint), nullable)));
            case UInt64Type:
                return Pair(Scalar(ParquetWriteKind.UInt64, new DataField(name, typeof(ulong), nullable)));
            case FloatType:
                return Pair(Scalar(ParquetWriteKind.Float, new DataField(name, typeof(float), nullable)));
            case DoubleType:
                return Pair(Scalar(ParquetWriteKind.Double, new DataField(name, typeof(double), nullable)));
            case ArrowStringType:
                return Pair(Scalar(ParquetWriteKind.String, new DataField(name, typeof(byte[]), nullable), static se =>
                {
                    se.LogicalType = new LogicalType { STRING = new ParquetStringType() };
                    se.ConvertedType = ConvertedType.UTF8;
                }));
            case ArrowDateType:
                return Pair(Scalar(ParquetWriteKind.Date32, new DataField(name, typeof(int), nullable), static se =>
                {
                    se.LogicalType = new LogicalType { DATE = new ParquetDateType() };
                    se.ConvertedType = ConvertedType.DATE;
                }));
            case ArrowTimestampType ts:
                var kind = ts.Unit == ArrowTimeUnit.Second ? ParquetWriteKind.TimestampSeconds : ParquetWriteKind.Timestamp;
                return Pair(Scalar(kind, new DataField(name, typeof(long), nullable), Timestamp(ts.Unit)));
            case ArrowListType { ValueDataType: DoubleType } list:
                var elementNullable = list.ValueField.IsNullable;
                var element = new DataField(ListField.ElementName, typeof(double), elementNullable);
                var column = new ParquetWriteColumn(index, name, ParquetWriteKind.DoubleList, element, nullable, elementNullable, null);
                return (column, new ListField(name, element));
            default:
                throw new SchemaException($"Cannot write column '{name}' to Parquet: Arrow type {FrameText.TypeName(arrow.DataType)} is not supported. Supported: bool, int8-64, uint8-64, float, double, string, date32, timestamp and list<double>.");
        }
    }

    private static (ParquetWriteColumn, Field) Pair(ParquetWriteColumn column) => (column, column.Leaf);

    private static Action<SchemaElement> Integer(int bits, bool signed) => se =>
    {
        se.LogicalType = new LogicalType { INTEGER = new IntType { BitWidth = (sbyte)bits, IsSigned = signed } };
        se.ConvertedType = (bits, signed) switch
        {
            (8, true) => ConvertedType.INT_8,
            (16, true) => ConvertedType.INT_16,
            (8, false) => ConvertedType.UINT_8,
            _ => ConvertedType.UINT_16,
        };
    };

    private static Action<SchemaElement> Timestamp(ArrowTimeUnit unit) => se =>
    {
        var parquetUnit = unit switch
        {
            ArrowTimeUnit.Nanosecond => new ParquetTimeUnit { NANOS = new NanoSeconds() },
            ArrowTimeUnit.Microsecond => new ParquetTimeUnit { MICROS = new MicroSeconds() },
            _ => new ParquetTimeUnit { MILLIS = new MilliSeconds() },
        };
        se.LogicalType = new LogicalType { TIMESTAMP = new ParquetTimestampType { IsAdjustedToUTC = true, Unit = parquetUnit } };

        // The legacy converted types exist only for millis and micros.
        se.ConvertedType = unit switch
        {
            ArrowTimeUnit.Nanosecond => null,
            ArrowTimeUnit.Microsecond => ConvertedType.TIMESTAMP_MICROS,
            _ => ConvertedType.TIMESTAMP_MILLIS,
        };
    };
}
