using Apache.Arrow.Types;
using Parquet.Meta;
using Parquet.Schema;
using ArrowField = Apache.Arrow.Field;
using ArrowListType = Apache.Arrow.Types.ListType;
using ArrowStringType = Apache.Arrow.Types.StringType;
using ArrowTimestampType = Apache.Arrow.Types.TimestampType;
using ArrowTimeUnit = Apache.Arrow.Types.TimeUnit;
using ParquetType = Parquet.Meta.Type;

namespace Mlops.Features.Parquet;

/// <summary>
/// Maps a Parquet file's top-level fields to Arrow fields and to the leaf fields that decode them. The
/// mapping works from the raw Thrift schema elements rather than Parquet.Net's CLR types so that values are
/// decoded in their physical form (int64 timestamps, UTF-8 bytes) with no per-value conversion.
/// </summary>
/// <remarks>
/// Every timestamp (millis, micros, nanos, legacy INT96) becomes Arrow <c>timestamp[us, UTC]</c>; dates become
/// <c>date32</c>; unsigned integers keep their width and signedness.
/// </remarks>
internal static class ParquetSchemaReader
{
    /// <summary>The Arrow type every Parquet timestamp is read as.</summary>
    public static readonly ArrowTimestampType TimestampType = new(ArrowTimeUnit.Microsecond, "UTC");

    /// <summary>Plans all top-level fields of a file schema, in order.</summary>
    public static ParquetColumnPlan[] Plan(ParquetSchema schema)
    {
        var plans = new ParquetColumnPlan[schema.Fields.Count];
        var readFields = new List<DataField>();
        for (var i = 0; i < plans.Length; i++)
        {
            plans[i] = PlanField(schema.Fields[i], readFields);
        }

        // Fields we construct must belong to a schema so that Parquet.Net computes their levels.
        if (readFields.Count > 0)
        {
            _ = new ParquetSchema(readFields);
        }

        return plans;
    }

    private static ParquetColumnPlan PlanField(Field field, List<DataField> readFields)
    {
        switch (field)
        {
            case DataField { IsArray: true } repeated:
                // A bare repeated primitive (two-level legacy list): one level for the repetition, none for elements.
                return repeated.SchemaElement?.Type == ParquetType.DOUBLE && !HasAnnotation(repeated.SchemaElement)
                    ? ListPlan(repeated.Name, repeated, nullableList: false, elementNullable: false)
                    : Unsupported(field.Name, "repeated " + Describe(repeated.SchemaElement));
            case DataField data:
                return PlanScalar(data, readFields);
            case ListField list:
                if (list.Item is DataField { IsArray: false } item && item.SchemaElement?.Type == ParquetType.DOUBLE && !HasAnnotation(item.SchemaElement))
                {
                    return ListPlan(list.Name, item, list.IsNullable, item.IsNullable);
                }

                return Unsupported(field.Name, "list<" + (list.Item is DataField d ? Describe(d.SchemaElement) : list.Item.SchemaType.ToString().ToLowerInvariant()) + ">");
            default:
                return Unsupported(field.Name, field.SchemaType.ToString().ToLowerInvariant());
        }
    }

    private static ParquetColumnPlan ListPlan(string name, DataField item, bool nullableList, bool elementNullable)
    {
        var elementField = new ArrowField("item", DoubleType.Default, elementNullable);
        var arrow = new ArrowField(name, new ArrowListType(elementField), nullableList);
        return new ParquetColumnPlan(name, ParquetColumnKind.DoubleList, arrow, item, "list<double>")
        {
            ListElementNullable = elementNullable,
            ListElementLevel = item.MaxDefinitionLevel - (elementNullable ? 1 : 0),
        };
    }

    private static ParquetColumnPlan PlanScalar(DataField data, List<DataField> readFields)
    {
        var se = data.SchemaElement;
        var name = data.Name;
        var (kind, clrType, arrowType) = Classify(se);
        if (kind == ParquetColumnKind.Unsupported)
        {
            return Unsupported(name, Describe(se));
        }

        // A field of the physical CLR type, so Parquet.Net hands over raw values (no DateTime or string conversion).
        var readField = new DataField(name, clrType!, isNullable: data.IsNullable);
        readFields.Add(readField);
        return new ParquetColumnPlan(name, kind, new ArrowField(name, arrowType!, data.IsNullable), readField, Describe(se));
    }

    private static (ParquetColumnKind Kind, System.Type? Clr, IArrowType? Arrow) Classify(SchemaElement? se)
    {
        var logical = se?.LogicalType;
        var converted = se?.ConvertedType;
        switch (se?.Type)
        {
            case ParquetType.BOOLEAN:
                return (ParquetColumnKind.Boolean, typeof(bool), BooleanType.Default);
            case ParquetType.INT32:
                if (logical?.DATE is not null || converted == ConvertedType.DATE)
                {
                    return (ParquetColumnKind.Date, typeof(int), Date32Type.Default);
                }

                if (HasUnsupportedLogical(logical))
                {
                    return (ParquetColumnKind.Unsupported, null, null);
                }

                if (logical?.INTEGER is { } i32)
                {
                    return (i32.BitWidth, i32.IsSigned) switch
                    {
                        (8, true) => (ParquetColumnKind.Int8, typeof(int), Int8Type.Default),
                        (16, true) => (ParquetColumnKind.Int16, typeof(int), Int16Type.Default),
                        (8, false) => (ParquetColumnKind.UInt8, typeof(int), UInt8Type.Default),
                        (16, false) => (ParquetColumnKind.UInt16, typeof(int), UInt16Type.Default),
                        (32, false) => (ParquetColumnKind.UInt32, typeof(int), UInt32Type.Default),
                        _ => (ParquetColumnKind.Int32, typeof(int), Int32Type.Default),
                    };
                }

                return converted switch
                {
                    null or ConvertedType.INT_32 => (ParquetColumnKind.Int32, typeof(int), Int32Type.Default),
                    ConvertedType.INT_8 => (ParquetColumnKind.Int8, typeof(int), Int8Type.Default),
                    ConvertedType.INT_16 => (ParquetColumnKind.Int16, typeof(int), Int16Type.Default),
                    ConvertedType.UINT_8 => (ParquetColumnKind.UInt8, typeof(int), UInt8Type.Default),
                    ConvertedType.UINT_16 => (ParquetColumnKind.UInt16, typeof(int), UInt16Type.Default),
                    ConvertedType.UINT_32 => (ParquetColumnKind.UInt32, typeof(int), UInt32Type.Default),
                    _ => (ParquetColumnKind.Unsupported, null, null),
                };
            case ParquetType.INT64:
                if (logical?.TIMESTAMP is { } ts)
                {
                    var kind = ts.Unit.MILLIS is not null ? ParquetColumnKind.TimestampMillis
                        : ts.Unit.MICROS is not null ? ParquetColumnKind.TimestampMicros
                        : ts.Unit.NANOS is not null ? ParquetColumnKind.TimestampNanos
                        : ParquetColumnKind.Unsupported;
                    return kind == ParquetColumnKind.Unsupported ? (kind, null, null) : (kind, typeof(long), TimestampType);
                }

                if (HasUnsupportedLogical(logical))
                {
                    return (ParquetColumnKind.Unsupported, null, null);
                }

                if (logical?.INTEGER is { IsSigned: false })
                {
                    return (ParquetColumnKind.UInt64, typeof(long), UInt64Type.Default);
                }

                return converted switch
                {
                    null or ConvertedType.INT_64 => (ParquetColumnKind.Int64, typeof(long), Int64Type.Default),
                    ConvertedType.UINT_64 => (ParquetColumnKind.UInt64, typeof(long), UInt64Type.Default),
                    ConvertedType.TIMESTAMP_MILLIS => (ParquetColumnKind.TimestampMillis, typeof(long), TimestampType),
                    ConvertedType.TIMESTAMP_MICROS => (ParquetColumnKind.TimestampMicros, typeof(long), TimestampType),
                    _ => (ParquetColumnKind.Unsupported, null, null),
                };
            case ParquetType.INT96:
                return (ParquetColumnKind.TimestampInt96, typeof(DateTime), TimestampType);
            case ParquetType.FLOAT:
                return logical is null ? (ParquetColumnKind.Float, typeof(float), FloatType.Default) : (ParquetColumnKind.Unsupported, null, null);
            case ParquetType.DOUBLE:
                return logical is null ? (ParquetColumnKind.Double, typeof(double), DoubleType.Default) : (ParquetColumnKind.Unsupported, null, null);
            case ParquetType.BYTE_ARRAY:
                var isText = logical?.STRING is not null || logical?.ENUM is not null || logical?.JSON is not null
                    || converted is ConvertedType.UTF8 or ConvertedType.ENUM or ConvertedType.JSON;
                return isText ? (ParquetColumnKind.String, typeof(byte[]), ArrowStringType.Default) : (ParquetColumnKind.Unsupported, null, null);
            default:
                return (ParquetColumnKind.Unsupported, null, null);
        }
    }

    private static bool HasUnsupportedLogical(LogicalType? logical) =>
        logical is not null && (logical.DECIMAL is not null || logical.TIME is not null || logical.TIMESTAMP is not null || logical.UNKNOWN is not null);

    private static bool HasAnnotation(SchemaElement? se) => se?.LogicalType is not null || se?.ConvertedType is not null;

    private static ParquetColumnPlan Unsupported(string name, string description) =>
        new(name, ParquetColumnKind.Unsupported, null, null, description);

    /// <summary>A Parquet type as a person would write it: physical type and annotation.</summary>
    private static string Describe(SchemaElement? se)
    {
        if (se is null)
        {
            return "group";
        }

        var physical = se.Type?.ToString() ?? "group";
        var logical = se.LogicalType;
        string? annotation = logical switch
        {
            { DECIMAL: { } d } => $"DECIMAL({d.Precision},{d.Scale})",
            { TIME: not null } => "TIME",
            { TIMESTAMP: not null } => "TIMESTAMP",
            { UUID: not null } => "UUID",
            { FLOAT16: not null } => "FLOAT16",
            { STRING: not null } => "STRING",
            { DATE: not null } => "DATE",
            { INTEGER: { } i } => $"INTEGER({i.BitWidth},{(i.IsSigned ? "signed" : "unsigned")})",
            { BSON: not null } => "BSON",
            { JSON: not null } => "JSON",
            _ => se.ConvertedType?.ToString(),
        };
        return annotation is null ? physical : $"{physical} ({annotation})";
    }
}
