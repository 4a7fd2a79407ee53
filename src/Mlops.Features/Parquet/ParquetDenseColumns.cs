using Parquet.Meta;
using Parquet.Schema;
using ParquetType = Parquet.Meta.Type;

namespace Mlops.Features.Parquet;

/// <summary>How a numeric Parquet column is decoded: its physical values, read without Parquet.Net's CLR conversions.</summary>
internal enum DenseScalarKind
{
    Boolean,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float,
    Double,
}

/// <summary>A scalar numeric column of one file: the field to read it with (carrying its definition level) and its kind.</summary>
internal sealed record DenseScalarColumn(string Name, DataField Field, DenseScalarKind Kind, string TypeName);

/// <summary>
/// A vector column of one file: a LIST of DOUBLE or FLOAT (three-level, or a legacy repeated primitive). The leaf
/// field carries the levels; <see cref="ElementLevel"/> is the definition level from which a row has an element slot.
/// </summary>
internal sealed record DenseVectorColumn(string Name, DataField Leaf, bool IsFloat, int ElementLevel, string TypeName);

/// <summary>
/// Maps the columns a dense read (<see cref="ParquetDenseReader"/>) needs to decoders, from a file's schema. Only top-level columns are considered; the
/// messages name the file, the column, its Parquet type and what is supported.
/// </summary>
internal static class ParquetDenseColumns
{
    /// <summary>The columns of <paramref name="schema"/> as "name (type)" for messages.</summary>
    public static string ListColumns(ParquetSchema schema) =>
        string.Join(", ", schema.Fields.Select(f => $"{f.Name} ({Describe(f)})"));

    public static Field? Find(ParquetSchema schema, string name) =>
        schema.Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));

    /// <summary>Plans a vector column, or null when the column is not a list of float or double.</summary>
    public static DenseVectorColumn? TryVector(Field field)
    {
        switch (field)
        {
            case DataField { IsArray: true } repeated when IsFloating(repeated.SchemaElement, out var isFloat):
                return new DenseVectorColumn(field.Name, repeated, isFloat, repeated.MaxDefinitionLevel, Describe(field));
            case ListField { Item: DataField { IsArray: false } item } when IsFloating(item.SchemaElement, out var isFloat):
                return new DenseVectorColumn(field.Name, item, isFloat, item.MaxDefinitionLevel - (item.IsNullable ? 1 : 0), Describe(field));
            default:
                return null;
        }
    }

    /// <summary>Plans a scalar numeric column, or null when the column is not one.</summary>
    public static DenseScalarColumn? TryScalar(Field field)
    {
        if (field is not DataField { IsArray: false } data || data.SchemaElement is not { } se)
        {
            return null;
        }

        var logical = se.LogicalType;
        DenseScalarKind? kind = se.Type switch
        {
            ParquetType.BOOLEAN => DenseScalarKind.Boolean,
            ParquetType.INT32 when IsPlainInteger(logical, se.ConvertedType) =>
                logical?.INTEGER is { IsSigned: false, BitWidth: 32 } || se.ConvertedType == ConvertedType.UINT_32 ? DenseScalarKind.UInt32 : DenseScalarKind.Int32,
            ParquetType.INT64 when IsPlainInteger(logical, se.ConvertedType) =>
                logical?.INTEGER is { IsSigned: false } || se.ConvertedType == ConvertedType.UINT_64 ? DenseScalarKind.UInt64 : DenseScalarKind.Int64,
            ParquetType.FLOAT when logical is null => DenseScalarKind.Float,
            ParquetType.DOUBLE when logical is null => DenseScalarKind.Double,
            _ => null,
        };
        if (kind is not { } k)
        {
            return null;
        }

        // A field of the physical CLR type, so Parquet.Net hands over raw values; it must belong to a schema to get its levels.
        var clr = k switch
        {
            DenseScalarKind.Boolean => typeof(bool),
            DenseScalarKind.Int32 or DenseScalarKind.UInt32 => typeof(int),
            DenseScalarKind.Int64 or DenseScalarKind.UInt64 => typeof(long),
            DenseScalarKind.Float => typeof(float),
            _ => typeof(double),
        };
        var readField = new DataField(data.Name, clr, isNullable: data.IsNullable);
        _ = new ParquetSchema(readField);
        return new DenseScalarColumn(data.Name, readField, k, Describe(field));
    }

    /// <summary>A Parquet type as people write it: list&lt;double&gt;, int64, string, timestamp, ...</summary>
    public static string Describe(Field field) => field switch
    {
        ListField list => $"list<{(list.Item is DataField d ? DescribeLeaf(d.SchemaElement) : list.Item.SchemaType.ToString().ToLowerInvariant())}>",
        DataField { IsArray: true } repeated => $"repeated {DescribeLeaf(repeated.SchemaElement)}",
        DataField data => DescribeLeaf(data.SchemaElement),
        _ => field.SchemaType.ToString().ToLowerInvariant(),
    };

    private static bool IsFloating(SchemaElement? se, out bool isFloat)
    {
        isFloat = se?.Type == ParquetType.FLOAT;
        return se?.Type is ParquetType.DOUBLE or ParquetType.FLOAT && se.LogicalType is null && se.ConvertedType is null;
    }

    private static bool IsPlainInteger(LogicalType? logical, ConvertedType? converted) =>
        (logical is null || logical.INTEGER is not null)
        && converted is null or ConvertedType.INT_8 or ConvertedType.INT_16 or ConvertedType.INT_32 or ConvertedType.INT_64
            or ConvertedType.UINT_8 or ConvertedType.UINT_16 or ConvertedType.UINT_32 or ConvertedType.UINT_64;

    private static string DescribeLeaf(SchemaElement? se)
    {
        if (se?.Type is not { } physical)
        {
            return "group";
        }

        var logical = se.LogicalType;
        if (logical?.STRING is not null || se.ConvertedType == ConvertedType.UTF8)
        {
            return "string";
        }

        if (logical?.DATE is not null || se.ConvertedType == ConvertedType.DATE)
        {
            return "date";
        }

        if (logical?.TIMESTAMP is not null || se.ConvertedType is ConvertedType.TIMESTAMP_MILLIS or ConvertedType.TIMESTAMP_MICROS)
        {
            return "timestamp";
        }

        if (logical?.DECIMAL is not null || se.ConvertedType == ConvertedType.DECIMAL)
        {
            return "decimal";
        }

        if (logical?.INTEGER is { } integer)
        {
            return $"{(integer.IsSigned ? "int" : "uint")}{integer.BitWidth}";
        }

        return physical switch
        {
            ParquetType.BOOLEAN => "boolean",
            ParquetType.INT32 => "int32",
            ParquetType.INT64 => "int64",
            ParquetType.INT96 => "int96",
            ParquetType.FLOAT => "float",
            ParquetType.DOUBLE => "double",
            ParquetType.BYTE_ARRAY => "binary",
            _ => physical.ToString().ToLowerInvariant(),
        };
    }
}
