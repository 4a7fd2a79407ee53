using System.Buffers;
using System.Runtime.CompilerServices;
using Mlops.Features.Text;

namespace Mlops.Features.Csv;

/// <summary>
/// Splits a stream of UTF-8 CSV into records and fields, RFC 4180 style, without copying unescaped
/// fields: a field is a slice of the input buffer, or of a small scratch buffer when escapes had to be
/// removed. Quoted fields may hold delimiters, escaped quotes and line breaks. Records end at LF, CRLF
/// or a lone CR; blank lines and comment lines are skipped. Physical line numbers are tracked so that
/// errors point at the line where a record starts.
/// </summary>
/// <remarks>
/// The fields of the current record stay valid until the next <see cref="ReadRecord"/>. When a record
/// runs past the end of the buffer, the buffer is refilled and the record is parsed again from its start,
/// which costs one record per buffer (1 MiB).
/// </remarks>
internal sealed class CsvTokenizer
{
    private const byte FlagQuoted = 1;
    private const byte FlagScratch = 2;

    private readonly TextInputBuffer _input;
    private readonly byte _delimiter;
    private readonly byte _quote;
    private readonly byte _escape;
    private readonly int _comment;
    private readonly bool _trimLeading;
    private readonly bool _trimTrailing;
    private readonly SearchValues<byte> _fieldStops;
    private readonly SearchValues<byte> _lineStops;
    private readonly int _maxColumns;
    private FieldSlice[] _fields;
    private byte[] _scratch = new byte[256];
    private int _scratchLength;
    private long _nextLine = 1;
    private int _recordStart;
    private int _recordEnd;

    public CsvTokenizer(Stream stream, string source, CsvSettings settings)
    {
        Source = source;
        _input = new TextInputBuffer(stream, source, settings.MaxRecordBytes);
        _delimiter = settings.Delimiter;
        _quote = settings.Quote;
        _escape = settings.Escape;
        _comment = settings.Comment;
        _trimLeading = settings.TrimLeading;
        _trimTrailing = settings.TrimTrailing;
        _fieldStops = SearchValues.Create([_delimiter, (byte)'\r', (byte)'\n']);
        _lineStops = SearchValues.Create([(byte)'\r', (byte)'\n']);
        _maxColumns = settings.MaxColumns;
        _fields = new FieldSlice[Math.Min(16, _maxColumns)];
    }

    private enum Step
    {
        Record,
        Skipped,
        NeedMore,
        End,
    }

    /// <summary>The file being read, for messages.</summary>
    public string Source { get; }

    /// <summary>The number of fields in the current record.</summary>
    public int FieldCount { get; private set; }

    /// <summary>The 1-based physical line on which the current record starts.</summary>
    public long Line { get; private set; }

    /// <summary>Why the current record could not be split cleanly (an unterminated quote, text after a closing quote), or null.</summary>
    public string? Error { get; private set; }

    /// <summary>The index of the field <see cref="Error"/> is about.</summary>
    public int ErrorField { get; private set; }

    /// <summary>The current record's raw text, without its line break.</summary>
    public ReadOnlySpan<byte> RawRecord => _input.Buffer.AsSpan(_recordStart, _recordEnd - _recordStart);

    /// <summary>The text of field <paramref name="index"/>, without quotes and escapes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Field(int index)
    {
        var f = _fields[index];
        return (f.Flags & FlagScratch) != 0 ? _scratch.AsSpan(f.Start, f.Length) : _input.Buffer.AsSpan(f.Start, f.Length);
    }

    /// <summary>Whether field <paramref name="index"/> was quoted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsQuoted(int index) => (_fields[index].Flags & FlagQuoted) != 0;

    /// <summary>Moves to the next record; false at the end of the input.</summary>
    public bool ReadRecord()
    {
        while (true)
        {
            switch (Tokenize())
            {
                case Step.Record:
                    return true;
                case Step.End:
                    return false;
                case Step.NeedMore:
                    _input.Fill(_nextLine);
                    break;
            }
        }
    }

    private Step Tokenize()
    {
        var buffer = _input.Buffer;
        var start = _input.Start;
        var end = _input.End;
        var eof = _input.Eof;
        if (start == end)
        {
            return eof ? Step.End : Step.NeedMore;
        }

        var first = buffer[start];
        if (first is (byte)'\n' or (byte)'\r' || first == _comment)
        {
            return SkipLine(buffer, start, end, eof);
        }

        FieldCount = 0;
        _scratchLength = 0;
        Error = null;
        var lineBreaks = 0;
        var p = start;
        int recordEnd, next;
        while (true)
        {
            if (_trimLeading)
            {
                while (p < end && buffer[p] is (byte)' ' or (byte)'\t')
                {
                    p++;
                }
            }

            if (p < end && buffer[p] == _quote)
            {
                var step = QuotedField(buffer, ref p, end, eof, ref lineBreaks);
                if (step == Step.NeedMore)
                {
                    return step;
                }

                if (step == Step.End)
                {
                    // Unterminated quote: the rest of the input is this record.
                    recordEnd = next = end;
                    break;
                }
            }
            else
            {
                var stop = buffer.AsSpan(p, end - p).IndexOfAny(_fieldStops);
                if (stop < 0 && !eof)
                {
                    return Step.NeedMore;
                }

                var fieldEnd = stop < 0 ? end : p + stop;
                var trimmedEnd = fieldEnd;
                if (_trimTrailing)
                {
                    while (trimmedEnd > p && buffer[trimmedEnd - 1] is (byte)' ' or (byte)'\t')
                    {
                        trimmedEnd--;
                    }
                }

                AddField(p, trimmedEnd - p, 0);
                p = fieldEnd;
            }

            if (p == end)
            {
                recordEnd = next = end;
                break;
            }

            var c = buffer[p];
            if (c == _delimiter)
            {
                p++;
                continue;
            }

            if (c == '\n')
            {
                recordEnd = p;
                next = p + 1;
                break;
            }

            // c is '\r'; QuotedField leaves p only at a delimiter, a line break or the end.
            if (p + 1 == end && !eof)
            {
                return Step.NeedMore;
            }

            recordEnd = p;
            next = p + 1 < end && buffer[p + 1] == '\n' ? p + 2 : p + 1;
            break;
        }

        Line = _nextLine;
        _nextLine += 1 + lineBreaks;
        _recordStart = start;
        _recordEnd = recordEnd;
        _input.Start = next;
        return Step.Record;
    }

    /// <summary>
    /// Parses a quoted field whose opening quote is at <paramref name="p"/>, leaving <paramref name="p"/> after
    /// it (at a delimiter, a line break or the end). Returns <see cref="Step.End"/> for an unterminated quote.
    /// </summary>
    private Step QuotedField(byte[] buffer, ref int p, int end, bool eof, ref int lineBreaks)
    {
        var contentStart = p + 1;
        var segment = contentStart;
        var scratchStart = _scratchLength;
        var escaped = false;
        var quoteIsEscape = _escape == _quote;
        var i = contentStart;
        while (true)
        {
            var rest = buffer.AsSpan(i, end - i);
            var hit = quoteIsEscape ? rest.IndexOf(_quote) : rest.IndexOfAny(_quote, _escape);
            if (hit < 0)
            {
                if (!eof)
                {
                    return Step.NeedMore;
                }

                Error = $"unterminated quoted field: the closing {(char)_quote} is missing, so the field runs to the end of the file";
                ErrorField = FieldCount;
                lineBreaks += TextSource.CountLineBreaks(buffer.AsSpan(contentStart, end - contentStart));
                AddField(contentStart, end - contentStart, FlagQuoted);
                p = end;
                return Step.End;
            }

            var q = i + hit;
            if (q + 1 == end && !eof)
            {
                // Whether this quote or escape is doubled depends on the next byte.
                return Step.NeedMore;
            }

            var nextByte = q + 1 < end ? buffer[q + 1] : -1;
            if (!quoteIsEscape && buffer[q] == _escape)
            {
                if (nextByte == _quote || nextByte == _escape)
                {
                    AppendScratch(buffer.AsSpan(segment, q - segment));
                    AppendScratch(buffer.AsSpan(q + 1, 1));
                    segment = i = q + 2;
                    escaped = true;
                }
                else
                {
                    i = q + 1;
                }

                continue;
            }

            if (quoteIsEscape && nextByte == _quote)
            {
                // A doubled quote stands for one quote.
                AppendScratch(buffer.AsSpan(segment, q + 1 - segment));
                segment = i = q + 2;
                escaped = true;
                continue;
            }

            // The closing quote.
            lineBreaks += TextSource.CountLineBreaks(buffer.AsSpan(contentStart, q - contentStart));
            if (escaped)
            {
                AppendScratch(buffer.AsSpan(segment, q - segment));
                AddField(scratchStart, _scratchLength - scratchStart, FlagQuoted | FlagScratch);
            }
            else
            {
                AddField(contentStart, q - contentStart, FlagQuoted);
            }

            p = q + 1;
            break;
        }

        if (_trimTrailing)
        {
            while (p < end && buffer[p] is (byte)' ' or (byte)'\t')
            {
                p++;
            }
        }

        if (p == end)
        {
            return eof ? Step.Record : Step.NeedMore;
        }

        var after = buffer[p];
        if (after != _delimiter && after != '\r' && after != '\n')
        {
            // Text after the closing quote: the record is malformed; skip to the end of the field.
            if (Error is null)
            {
                Error = $"unexpected character '{(char)after}' after the closing quote of a quoted field; a quote inside a quoted field must be escaped"
                    + (quoteIsEscape ? $" by doubling it ({(char)_quote}{(char)_quote})" : $" with {(char)_escape}");
                ErrorField = FieldCount - 1;
            }

            var stop = buffer.AsSpan(p, end - p).IndexOfAny(_fieldStops);
            if (stop < 0)
            {
                if (!eof)
                {
                    return Step.NeedMore;
                }

                p = end;
            }
            else
            {
                p += stop;
            }
        }

        return Step.Record;
    }

    private Step SkipLine(byte[] buffer, int start, int end, bool eof)
    {
        var stop = buffer.AsSpan(start, end - start).IndexOfAny(_lineStops);
        if (stop < 0)
        {
            if (!eof)
            {
                return Step.NeedMore;
            }

            _input.Start = end;
            _nextLine++;
            return Step.End;
        }

        var at = start + stop;
        if (buffer[at] == '\r' && at + 1 == end && !eof)
        {
            return Step.NeedMore;
        }

        _input.Start = buffer[at] == '\r' && at + 1 < end && buffer[at + 1] == '\n' ? at + 2 : at + 1;
        _nextLine++;
        return Step.Skipped;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddField(int start, int length, byte flags)
    {
        if (FieldCount == _fields.Length)
        {
            if (FieldCount >= _maxColumns)
            {
                ThrowOverColumnLimit();
            }

            Array.Resize(ref _fields, Math.Min(_fields.Length * 2, _maxColumns));
        }

        _fields[FieldCount++] = new FieldSlice(start, length, flags);
    }

    // A limit, not a malformed record: it fails the read in every mode, before the fields cost memory.
    private void ThrowOverColumnLimit() => throw new DataFormatException(
        $"the record has more than {_maxColumns:N0} fields, the column limit (MaxColumns); raise CsvReadOptions.MaxColumns or Mlops:Features:MaxColumns if the data is really this wide",
        Source,
        _nextLine);

    private void AppendScratch(ReadOnlySpan<byte> bytes)
    {
        if (_scratchLength + bytes.Length > _scratch.Length)
        {
            Array.Resize(ref _scratch, Math.Max(_scratch.Length * 2, _scratchLength + bytes.Length));
        }

        bytes.CopyTo(_scratch.AsSpan(_scratchLength));
        _scratchLength += bytes.Length;
    }

    private readonly record struct FieldSlice(int Start, int Length, byte Flags);
}
