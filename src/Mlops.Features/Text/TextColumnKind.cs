using Apache.Arrow.Types;

namespace Mlops.Features.Text;

/// <summary>The storage of a column text readers fill; one switch on it per value replaces virtual calls.</summary>
internal enum TextColumnKind : byte
{
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float,
    Double,
    String,
    Date32,
    Timestamp,
    Vector,
}

/// <summary>Maps Arrow types to <see cref="TextColumnKind"/>.</summary>
internal static class TextColumnKinds
{
    /// <summary>The kind for an Arrow type, or null when text readers cannot produce it.</summary>
    public static TextColumnKind? Of(IArrowType type) => type switch
    {
        BooleanType => TextColumnKind.Bool,
        Int8Type => TextColumnKind.Int8,
        Int16Type => TextColumnKind.Int16,
        Int32Type => TextColumnKind.Int32,
        Int64Type => TextColumnKind.Int64,
        FloatType => TextColumnKind.Float,
        DoubleType => TextColumnKind.Double,
        StringType => TextColumnKind.String,
        Date32Type => TextColumnKind.Date32,
        TimestampType => TextColumnKind.Timestamp,
        ListType { ValueDataType: DoubleType } => TextColumnKind.Vector,
        _ => null,
    };
}
