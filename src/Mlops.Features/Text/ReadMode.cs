namespace Mlops.Features;

/// <summary>
/// What a text reader does with a malformed record: one whose field count does not match the schema,
/// whose value does not parse as its column's type, or (JSON) that is not a valid JSON object.
/// The meanings are Spark's <c>mode</c> option.
/// </summary>
public enum ReadMode
{
    /// <summary>Stop at the first malformed record with a <see cref="DataFormatException"/> naming the file, line and column.</summary>
    FailFast,

    /// <summary>Skip malformed records silently.</summary>
    DropMalformed,

    /// <summary>
    /// Keep malformed records: values that do not parse become null, fields that do parse are kept, and
    /// the record's raw text goes to the string column named
    /// <see cref="TextReadOptions.ColumnNameOfCorruptRecord"/> when the schema has one (it is null for
    /// well-formed records).
    /// </summary>
    Permissive,
}
