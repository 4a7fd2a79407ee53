using Apache.Arrow.Types;

namespace Mlops.Features;

/// <summary>Type rules of column expressions: numeric widening, common types, and Spark's type names.</summary>
internal static class ExpressionTypes
{
    /// <summary>The timestamp type of literals and of casts to "timestamp": microseconds, UTC, like the readers produce.</summary>
    public static readonly TimestampType Timestamp = new(TimeUnit.Microsecond, "UTC");

    /// <summary>The vector type, <c>list&lt;double&gt;</c>.</summary>
    public static readonly ListType Vector = new(DoubleType.Default);

    /// <summary>0 for non-numeric types, else the position in tinyint &lt; smallint &lt; int &lt; bigint &lt; float &lt; double.</summary>
    public static int NumericRank(IArrowType type) => type switch
    {
        Int8Type => 1,
        Int16Type => 2,
        Int32Type => 3,
        Int64Type => 4,
        FloatType => 5,
        DoubleType => 6,
        _ => 0,
    };

    public static bool IsNumeric(IArrowType type) => NumericRank(type) > 0;

    public static bool IsFloating(IArrowType type) => type is FloatType or DoubleType;

    public static bool IsNull(IArrowType type) => type is NullType;

    /// <summary>The wider of two numeric types, as Spark widens operands of arithmetic and comparisons.</summary>
    public static IArrowType Widest(IArrowType a, IArrowType b) => NumericRank(a) >= NumericRank(b) ? a : b;

    /// <summary>
    /// The type two values are converted to before they are compared or merged (CASE WHEN, coalesce), or
    /// <see langword="null"/> if there is none. A null literal takes the other side's type; numbers widen; a date
    /// meets a timestamp as a timestamp; with <paramref name="stringsToDates"/> a string meets a date or timestamp as that type.
    /// </summary>
    public static IArrowType? Common(IArrowType a, IArrowType b, bool stringsToDates)
    {
        if (a is NullType)
        {
            return b;
        }

        if (b is NullType)
        {
            return a;
        }

        if (IsNumeric(a) && IsNumeric(b))
        {
            return Widest(a, b);
        }

        return (a, b) switch
        {
            (TimestampType x, TimestampType y) => x.Unit >= y.Unit ? x : y,
            (Date32Type, TimestampType) => b,
            (TimestampType, Date32Type) => a,
            (StringType, Date32Type or TimestampType) when stringsToDates => b,
            (Date32Type or TimestampType, StringType) when stringsToDates => a,
            (ListType x, ListType y) when x.ValueDataType is DoubleType && y.ValueDataType is DoubleType => a,
            _ when a.TypeId == b.TypeId && a.TypeId is ArrowTypeId.Boolean or ArrowTypeId.String or ArrowTypeId.Date32 => a,
            _ => null,
        };
    }

    /// <summary>Whether a frame column can hold this type.</summary>
    public static bool IsFrameType(IArrowType type) => type switch
    {
        BooleanType or Int8Type or Int16Type or Int32Type or Int64Type or FloatType or DoubleType or StringType or Date32Type or TimestampType => true,
        ListType { ValueDataType: DoubleType } => true,
        _ => false,
    };

    /// <summary>Parses a Spark SQL type name (<c>double</c>, <c>bigint</c>, <c>string</c>, ...), case-insensitively.</summary>
    /// <exception cref="ArgumentException">The name is not one of the supported types.</exception>
    public static IArrowType Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "boolean" or "bool" => BooleanType.Default,
            "tinyint" or "byte" => Int8Type.Default,
            "smallint" or "short" => Int16Type.Default,
            "int" or "integer" => Int32Type.Default,
            "bigint" or "long" => Int64Type.Default,
            "float" or "real" => FloatType.Default,
            "double" => DoubleType.Default,
            "string" => StringType.Default,
            "date" => Date32Type.Default,
            "timestamp" => Timestamp,
            "array<double>" or "vector" => Vector,
            _ => throw new ArgumentException(
                $"Unknown type name '{name}'. Known: boolean, tinyint, smallint, int, bigint, float, double, string, date, timestamp, array<double>.",
                nameof(name)),
        };
    }

    /// <summary>The Spark SQL name of a type, as used in messages and expression text.</summary>
    public static string Name(IArrowType type) => type is NullType ? "void" : FrameText.TypeName(type);

    /// <summary>Units of a timestamp per second.</summary>
    public static long UnitsPerSecond(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => 1,
        TimeUnit.Millisecond => 1_000,
        TimeUnit.Microsecond => 1_000_000,
        _ => 1_000_000_000,
    };
}
