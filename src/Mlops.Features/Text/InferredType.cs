using Apache.Arrow.Types;

namespace Mlops.Features.Text;

/// <summary>What schema inference has seen in a column so far; <see cref="InferredTypes.Merge"/> widens it.</summary>
internal enum InferredType : byte
{
    /// <summary>Only nulls (or nothing) so far.</summary>
    Null,

    /// <summary>Integers that fit 32 bits.</summary>
    Int,

    /// <summary>Integers that fit 64 bits.</summary>
    Long,

    /// <summary>Floating-point numbers.</summary>
    Double,

    /// <summary>true / false.</summary>
    Bool,

    /// <summary>Dates.</summary>
    Date,

    /// <summary>Timestamps.</summary>
    Timestamp,

    /// <summary>JSON arrays of numbers.</summary>
    Vector,

    /// <summary>JSON objects and other arrays, kept as their JSON text.</summary>
    RawJson,

    /// <summary>Anything else.</summary>
    String,
}

/// <summary>The widening rules of schema inference, Spark's where they overlap.</summary>
internal static class InferredTypes
{
    /// <summary>The narrowest type that holds values of both types.</summary>
    public static InferredType Merge(InferredType a, InferredType b)
    {
        if (a == b || b == InferredType.Null)
        {
            return a;
        }

        if (a == InferredType.Null)
        {
            return b;
        }

        if (IsNumber(a) && IsNumber(b))
        {
            return (InferredType)Math.Max((byte)a, (byte)b);
        }

        if (a is InferredType.Date or InferredType.Timestamp && b is InferredType.Date or InferredType.Timestamp)
        {
            return InferredType.Timestamp;
        }

        // Arrays that are not all vectors, and objects, stay JSON text; any other mix is a string.
        return a is InferredType.Vector or InferredType.RawJson && b is InferredType.Vector or InferredType.RawJson
            ? InferredType.RawJson
            : InferredType.String;
    }

    /// <summary>The Arrow type a column of this inferred type gets; a column with no values is a string.</summary>
    public static IArrowType ToArrowType(InferredType type) => type switch
    {
        InferredType.Bool => BooleanType.Default,
        InferredType.Int => Int32Type.Default,
        InferredType.Long => Int64Type.Default,
        InferredType.Double => DoubleType.Default,
        InferredType.Date => Date32Type.Default,
        InferredType.Timestamp => TemporalParser.TimestampType,
        InferredType.Vector => VectorType,
        _ => StringType.Default,
    };

    /// <summary>The type of vector columns: <c>list&lt;double&gt;</c>.</summary>
    public static ListType VectorType { get; } = new(DoubleType.Default);

    private static bool IsNumber(InferredType t) => t is InferredType.Int or InferredType.Long or InferredType.Double;
}
