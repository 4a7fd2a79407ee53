using System.Text;
using System.Text.Unicode;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features.Text;

/// <summary>
/// Accumulates parsed rows into one record batch. Every row gets exactly one value (or null) per data
/// column, appended in column order, then <see cref="EndRow"/>. Values that do not parse are appended
/// as null and reported with <see langword="false"/>, so the reader decides by its mode: fail, keep the
/// row (Permissive: its raw text goes to the corrupt-record column) or drop it (the row is removed when
/// the batch is built, which costs a gather only for batches that have dropped rows).
/// </summary>
/// <remarks>
/// Builders start small and grow with the rows appended; the next batch starts at the size the last one
/// reached, and the first is sized so that all columns together start with at most
/// <see cref="InitialValueBudget"/> values. Memory therefore follows the data: a one-row file with
/// 100,000 columns costs its row, not 100,000 pre-sized columns.
/// </remarks>
internal sealed class TextBatchBuilder
{
    /// <summary>How many values, across all columns, the first batch's builders are sized for.</summary>
    internal const int InitialValueBudget = 1 << 18;

    private readonly TextSchemaPlan _plan;
    private readonly TextValueParser _parser;
    private readonly ReadMode _mode;
    private readonly int _batchSize;
    private readonly TimeUnit[] _units;
    private readonly ColumnBuilder[] _builders;
    private readonly ColumnBuilder[] _dataBuilders;
    private readonly TextColumnKind[] _kinds;
    private List<int>? _dropped;
    private int _capacity;

    public TextBatchBuilder(TextSchemaPlan plan, TextValueParser parser, ReadMode mode, int batchSize)
    {
        _plan = plan;
        _parser = parser;
        _mode = mode;
        _batchSize = batchSize;
        _units = plan.DataToSchema.Select(i => plan.Schema.FieldsList[i].DataType is TimestampType t ? t.Unit : TimeUnit.Microsecond).ToArray();
        _builders = new ColumnBuilder[plan.Schema.FieldsList.Count];
        _dataBuilders = new ColumnBuilder[plan.DataColumnCount];
        _kinds = plan.Kinds;
        _capacity = Math.Clamp(InitialValueBudget / Math.Max(1, _builders.Length), 1, Math.Min(batchSize, 4096));
        NewBuilders();
    }

    /// <summary>Rows appended since the last <see cref="Build"/>, dropped ones included.</summary>
    public int RowCount { get; private set; }

    /// <summary>
    /// Where the text the last refused string value held its first invalid UTF-8 byte, or -1 when the last
    /// append was not refused for that. Arrow strings are UTF-8, so such text is refused rather than stored.
    /// </summary>
    public int InvalidUtf8Offset { get; private set; } = -1;

    /// <summary>Whether the batch holds <c>BatchSize</c> rows.</summary>
    public bool IsFull => RowCount >= _batchSize;

    /// <summary>Whether data column <paramref name="column"/> is a string column.</summary>
    public bool IsString(int column) => _kinds[column] == TextColumnKind.String;

    /// <summary>Appends a null.</summary>
    public void AppendNull(int column) => _dataBuilders[column].AppendNull();

    /// <summary>Parses field text as the column's type and appends it; on failure appends null and returns false.</summary>
    public bool AppendText(int column, ReadOnlySpan<byte> text)
    {
        var builder = _dataBuilders[column];
        switch (_kinds[column])
        {
            case TextColumnKind.String:
                return AppendUtf8(column, text);
            case TextColumnKind.Int64:
                if (TextValueParser.TryParseLong(text, out var int64))
                {
                    ((PrimitiveColumnBuilder<long>)builder).Append(int64);
                    return true;
                }

                break;
            case TextColumnKind.Int32:
                if (TextValueParser.TryParseLong(text, out var int32) && int32 is >= int.MinValue and <= int.MaxValue)
                {
                    ((PrimitiveColumnBuilder<int>)builder).Append((int)int32);
                    return true;
                }

                break;
            case TextColumnKind.Int16:
                if (TextValueParser.TryParseLong(text, out var int16) && int16 is >= short.MinValue and <= short.MaxValue)
                {
                    ((PrimitiveColumnBuilder<short>)builder).Append((short)int16);
                    return true;
                }

                break;
            case TextColumnKind.Int8:
                if (TextValueParser.TryParseLong(text, out var int8) && int8 is >= sbyte.MinValue and <= sbyte.MaxValue)
                {
                    ((PrimitiveColumnBuilder<sbyte>)builder).Append((sbyte)int8);
                    return true;
                }

                break;
            case TextColumnKind.Double:
                if (_parser.TryParseDouble(text, out var float64))
                {
                    ((PrimitiveColumnBuilder<double>)builder).Append(float64);
                    return true;
                }

                break;
            case TextColumnKind.Float:
                if (_parser.TryParseDouble(text, out var float32) && (float.IsFinite((float)float32) || !double.IsFinite(float32)))
                {
                    ((PrimitiveColumnBuilder<float>)builder).Append((float)float32);
                    return true;
                }

                break;
            case TextColumnKind.Bool:
                if (TextValueParser.TryParseBool(text, out var boolean))
                {
                    ((BooleanColumnBuilder)builder).Append(boolean);
                    return true;
                }

                break;
            case TextColumnKind.Date32:
                if (_parser.Temporal.TryParseDate(text, out var days))
                {
                    ((PrimitiveColumnBuilder<int>)builder).Append(days);
                    return true;
                }

                break;
            case TextColumnKind.Timestamp:
                if (_parser.Temporal.TryParseTimestamp(text, _units[column], out var timestamp))
                {
                    ((PrimitiveColumnBuilder<long>)builder).Append(timestamp);
                    return true;
                }

                break;
        }

        builder.AppendNull();
        return false;
    }

    /// <summary>Appends a JSON number given as its text; strings keep the text, timestamps take it as epoch seconds.</summary>
    public bool AppendJsonNumber(int column, ReadOnlySpan<byte> text)
    {
        switch (_kinds[column])
        {
            case TextColumnKind.String:
            case TextColumnKind.Int8:
            case TextColumnKind.Int16:
            case TextColumnKind.Int32:
            case TextColumnKind.Int64:
            case TextColumnKind.Float:
            case TextColumnKind.Double:
                return AppendText(column, text);
            case TextColumnKind.Timestamp:
                var builder = _dataBuilders[column];
                if (TextValueParser.TryParseLong(text, out var seconds) && IsoDateTime.TryToUnit(seconds, 0, _units[column], out var value)
                    && seconds is > -(1L << 40) and < 1L << 40)
                {
                    ((PrimitiveColumnBuilder<long>)builder).Append(value);
                    return true;
                }

                builder.AppendNull();
                return false;
            default:
                AppendNull(column);
                return false;
        }
    }

    /// <summary>Appends a JSON string (unescaped); numbers accept only NaN and infinities, as Spark does.</summary>
    public bool AppendJsonString(int column, ReadOnlySpan<byte> text)
    {
        switch (_kinds[column])
        {
            case TextColumnKind.String:
            case TextColumnKind.Date32:
            case TextColumnKind.Timestamp:
                return AppendText(column, text);
            case TextColumnKind.Double:
            case TextColumnKind.Float:
                if (text.SequenceEqual("NaN"u8) || text.SequenceEqual("Infinity"u8) || text.SequenceEqual("-Infinity"u8))
                {
                    return AppendText(column, text);
                }

                break;
        }

        AppendNull(column);
        return false;
    }

    /// <summary>Appends a JSON boolean; string columns get "true" or "false".</summary>
    public bool AppendJsonBool(int column, bool value)
    {
        switch (_kinds[column])
        {
            case TextColumnKind.Bool:
                ((BooleanColumnBuilder)_dataBuilders[column]).Append(value);
                return true;
            case TextColumnKind.String:
                ((StringColumnBuilder)_dataBuilders[column]).Append(value ? "true"u8 : "false"u8);
                return true;
            default:
                AppendNull(column);
                return false;
        }
    }

    /// <summary>Appends a JSON object or array as its raw text; only string columns take it.</summary>
    public bool AppendJsonText(int column, ReadOnlySpan<byte> json)
    {
        if (_kinds[column] == TextColumnKind.String)
        {
            return AppendUtf8(column, json);
        }

        AppendNull(column);
        return false;
    }

    /// <summary>Wording for a value refused because of <see cref="InvalidUtf8Offset"/>.</summary>
    public string InvalidUtf8Message(string what) =>
        $"invalid UTF-8 at byte {InvalidUtf8Offset} of {what}; the file must be UTF-8 (re-encode it, e.g. with iconv)";

    /// <summary>Appends a vector; only <c>list&lt;double&gt;</c> columns take it.</summary>
    public bool AppendVector(int column, ReadOnlySpan<double> vector)
    {
        if (_kinds[column] == TextColumnKind.Vector)
        {
            ((DoubleListColumnBuilder)_dataBuilders[column]).Append(vector);
            return true;
        }

        AppendNull(column);
        return false;
    }

    /// <summary>Finishes a row: fills the corrupt-record column and, in DropMalformed mode, marks a malformed row for removal.</summary>
    /// <param name="malformed">Whether any part of the row was malformed.</param>
    /// <param name="rawRecord">The row's raw text, for the corrupt-record column.</param>
    public void EndRow(bool malformed, ReadOnlySpan<byte> rawRecord)
    {
        if (_plan.CorruptIndex >= 0)
        {
            var corrupt = (StringColumnBuilder)_builders[_plan.CorruptIndex];
            if (malformed && _mode == ReadMode.Permissive)
            {
                // The record may be malformed because it is not UTF-8; the column stays valid, with U+FFFD for bad bytes.
                corrupt.Append(Utf8.IsValid(rawRecord) ? rawRecord : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(rawRecord)));
            }
            else
            {
                corrupt.AppendNull();
            }
        }

        if (malformed && _mode == ReadMode.DropMalformed)
        {
            (_dropped ??= []).Add(RowCount);
        }

        RowCount++;
    }

    /// <summary>Builds the batch from the rows appended so far (without dropped rows) and starts a new one; null if no row remains.</summary>
    public RecordBatch? Build()
    {
        if (RowCount == 0)
        {
            return null;
        }

        var arrays = new IArrowArray[_builders.Length];
        for (var i = 0; i < arrays.Length; i++)
        {
            arrays[i] = _builders[i].Build();
        }

        var batch = new RecordBatch(_plan.Schema, arrays, RowCount);

        // The next batch of this file likely holds as many rows as this one did: start there rather than regrow.
        _capacity = RowCount;
        if (_dropped is { Count: > 0 } dropped)
        {
            batch = WithoutRows(batch, dropped);
            dropped.Clear();
        }

        RowCount = 0;
        NewBuilders();
        return batch.Length == 0 ? null : batch;
    }

    /// <summary>Describes the column's type for messages, e.g. "int" or "timestamp(microsecond, UTC)".</summary>
    public string TypeName(int column) =>
        FrameText.TypeName(_plan.Schema.FieldsList[_plan.DataToSchema[column]].DataType)
        + (_kinds[column] switch
        {
            TextColumnKind.Date32 => " (expected " + (_parser.Temporal.DateFormat ?? "yyyy-MM-dd") + ")",
            TextColumnKind.Timestamp => " (expected " + (_parser.Temporal.TimestampFormat ?? "ISO 8601") + ")",
            _ => string.Empty,
        });

    private bool AppendUtf8(int column, ReadOnlySpan<byte> text)
    {
        var builder = (StringColumnBuilder)_dataBuilders[column];
        if (Utf8.IsValid(text))
        {
            InvalidUtf8Offset = -1;
            builder.Append(text);
            return true;
        }

        InvalidUtf8Offset = FirstInvalidUtf8(text);
        builder.AppendNull();
        return false;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> text)
    {
        Span<char> chars = stackalloc char[256];
        var offset = 0;
        while (true)
        {
            var status = Utf8.ToUtf16(text[offset..], chars, out var read, out _, replaceInvalidSequences: false);
            offset += read;
            if (status != System.Buffers.OperationStatus.DestinationTooSmall)
            {
                return offset;
            }
        }
    }

    private static RecordBatch WithoutRows(RecordBatch batch, List<int> dropped)
    {
        var keep = new int[batch.Length - dropped.Count];
        int next = 0, d = 0;
        for (var row = 0; row < batch.Length; row++)
        {
            if (d < dropped.Count && dropped[d] == row)
            {
                d++;
                continue;
            }

            keep[next++] = row;
        }

        return ArrowArrays.Take(batch, keep);
    }

    private void NewBuilders()
    {
        for (var i = 0; i < _builders.Length; i++)
        {
            _builders[i] = ColumnBuilder.Create(_plan.Schema.FieldsList[i].DataType, _capacity);
        }

        for (var c = 0; c < _dataBuilders.Length; c++)
        {
            _dataBuilders[c] = _builders[_plan.DataToSchema[c]];
        }
    }
}
