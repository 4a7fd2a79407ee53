using Parquet.Meta;
using Parquet.Schema;

namespace Mlops.Features.Parquet;

/// <summary>How an Arrow column is encoded into Parquet.</summary>
internal enum ParquetWriteKind
{
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float,
    Double,
    String,
    Date32,
    TimestampSeconds,
    Timestamp,
    DoubleList,
}

/// <summary>
/// The plan for writing one Arrow column: its Parquet leaf field, whether it is optional, and the annotation
/// to put on the file's schema element when Parquet.Net cannot express it for the raw value type we pass.
/// </summary>
/// <param name="Index">The column's position in the frame.</param>
/// <param name="Name">The column name.</param>
/// <param name="Kind">How to encode it.</param>
/// <param name="Leaf">The leaf data field values are written to.</param>
/// <param name="Nullable">Whether the column is OPTIONAL (has definition levels for nulls).</param>
/// <param name="ElementNullable">For lists: whether elements may be null.</param>
/// <param name="Annotate">Sets the logical/converted type on the leaf's schema element, or null.</param>
internal sealed record ParquetWriteColumn(int Index, string Name, ParquetWriteKind Kind, DataField Leaf, bool Nullable, bool ElementNullable, Action<SchemaElement>? Annotate);
