using Apache.Arrow;
using Mlops.Storage;

namespace Mlops.Features;

/// <summary>Options shared by the text readers (<see cref="CsvReadOptions"/>, <see cref="JsonReadOptions"/>).</summary>
/// <remarks>
/// A reader copies the options when it is called, so changing an options object afterwards does not
/// affect frames already created from it.
/// </remarks>
public abstract class TextReadOptions
{
    /// <summary>The value of <see cref="SamplingRows"/> that infers the schema from every row of every file (reads the input twice).</summary>
    public const int AllRows = int.MaxValue;

    /// <summary>
    /// The schema to read with. When null the reader infers one (see the derived options). Columns must
    /// be of a type the reader can produce; a string column named <see cref="ColumnNameOfCorruptRecord"/>
    /// is not read from the input but receives the raw text of malformed records in
    /// <see cref="ReadMode.Permissive"/> mode.
    /// </summary>
    public Schema? Schema { get; set; }

    /// <summary>What to do with malformed records; <see cref="ReadMode.FailFast"/> by default.</summary>
    public ReadMode Mode { get; set; } = ReadMode.FailFast;

    /// <summary>The name of the string column that receives malformed records' raw text in <see cref="ReadMode.Permissive"/> mode; "_corrupt_record" by default, as in Spark.</summary>
    public string ColumnNameOfCorruptRecord { get; set; } = "_corrupt_record";

    /// <summary>
    /// A .NET custom date format (e.g. "dd/MM/yyyy") for date columns, parsed with the invariant culture.
    /// Null (the default) accepts ISO 8601 dates, <c>yyyy-MM-dd</c>.
    /// </summary>
    public string? DateFormat { get; set; }

    /// <summary>
    /// A .NET custom date-and-time format (e.g. "dd/MM/yyyy HH:mm:ss" or "yyyy-MM-dd HH:mm:sszzz") for
    /// timestamp columns, parsed with the invariant culture; values without an offset are taken as UTC.
    /// Null (the default) accepts ISO 8601: <c>yyyy-MM-dd</c>, optionally followed by <c>T</c> or a space,
    /// <c>HH:mm</c>, <c>:ss</c>, a fraction of up to 9 digits and an offset (<c>Z</c>, <c>+hh:mm</c>,
    /// <c>+hhmm</c> or <c>+hh</c>). Timestamps are stored as UTC; values without an offset are taken as UTC.
    /// </summary>
    public string? TimestampFormat { get; set; }

    /// <summary>Rows per record batch; 65,536 by default.</summary>
    public int BatchSize { get; set; } = 65_536;

    /// <summary>
    /// How many records of each file schema inference reads (1,000 by default); the types found are
    /// merged across files. <see cref="AllRows"/> reads every record, which reads the input twice.
    /// </summary>
    public int SamplingRows { get; set; } = 1_000;

    /// <summary>
    /// The longest record (a CSV record, or a JSON line) the reader accepts, in bytes; 64 MiB by default.
    /// Reading stops with a <see cref="DataFormatException"/> beyond it, in every mode, so that an
    /// unterminated quote cannot pull a whole file into memory.
    /// </summary>
    public int MaxRecordBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// The most columns a record may have (CSV fields, or JSON keys on a line and distinct keys in the
    /// sampled lines), as Spark's <c>maxColumns</c>; null (the default) takes the reading session's
    /// <see cref="FeaturesOptions.MaxColumns"/> (10,000 unless configured). Reading stops with a
    /// <see cref="DataFormatException"/> naming the file and line beyond it, in every mode, so that a small
    /// but very wide file cannot exhaust memory.
    /// </summary>
    public int? MaxColumns { get; set; }

    /// <summary>Resolves the path to a store; the reading <see cref="FrameSession"/>'s resolver if null.</summary>
    public StorageResolver? Resolver { get; set; }

    /// <summary>Checks the options; called by the readers.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    private protected virtual void Validate()
    {
        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        }

        if (SamplingRows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(SamplingRows), SamplingRows, "SamplingRows must be at least 1 (use TextReadOptions.AllRows to read every row).");
        }

        if (MaxRecordBytes < 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRecordBytes), MaxRecordBytes, "MaxRecordBytes must be at least 1024.");
        }

        if (MaxColumns < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxColumns), MaxColumns, "MaxColumns must be at least 1 (leave it null for the session's limit).");
        }

        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Unknown read mode.");
        }

        if (string.IsNullOrEmpty(ColumnNameOfCorruptRecord))
        {
            throw new ArgumentException("ColumnNameOfCorruptRecord must not be empty.", nameof(ColumnNameOfCorruptRecord));
        }
    }

    /// <summary>Validates the options; what the readers call.</summary>
    internal void EnsureValid() => Validate();
}
