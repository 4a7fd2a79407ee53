using Parquet.Schema;
using ArrowField = Apache.Arrow.Field;

namespace Mlops.Features.Parquet;

/// <summary>How a Parquet column is decoded into Arrow; one value per supported physical/logical combination.</summary>
internal enum ParquetColumnKind
{
    Unsupported,
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
    Date,
    TimestampMillis,
    TimestampMicros,
    TimestampNanos,
    TimestampInt96,
    DoubleList,
}

/// <summary>
/// The plan for reading one top-level column of one file: the Arrow field it becomes and the Parquet field
/// (with its definition/repetition levels) to decode it with.
/// </summary>
/// <param name="Name">The column name.</param>
/// <param name="Kind">How to decode it.</param>
/// <param name="ArrowField">The Arrow field produced; null when unsupported.</param>
/// <param name="ReadField">The leaf field passed to Parquet.Net; null when unsupported.</param>
/// <param name="ParquetTypeName">The Parquet type as people know it, for messages.</param>
internal sealed record ParquetColumnPlan(string Name, ParquetColumnKind Kind, ArrowField? ArrowField, DataField? ReadField, string ParquetTypeName)
{
    /// <summary>For lists: the definition level at and above which a list has at least one element slot.</summary>
    public int ListElementLevel { get; init; }

    /// <summary>For lists: whether elements themselves may be null (they have their own definition level).</summary>
    public bool ListElementNullable { get; init; }
}
