using Mlops.Features.Text;

namespace Mlops.Features.Json;

/// <summary>
/// Splits a stream of UTF-8 JSON lines into lines, skipping blank ones and dropping a trailing CR.
/// JSON strings cannot hold a raw line break, so every LF ends a record.
/// </summary>
internal sealed class JsonLineReader
{
    private readonly TextInputBuffer _input;
    private long _nextLine = 1;
    private int _lineStart;
    private int _lineLength;

    public JsonLineReader(Stream stream, string source, int maxRecordBytes)
    {
        Source = source;
        _input = new TextInputBuffer(stream, source, maxRecordBytes);
    }

    /// <summary>The file being read, for messages.</summary>
    public string Source { get; }

    /// <summary>The 1-based line number of the current line.</summary>
    public long Line { get; private set; }

    /// <summary>The current line, without its line break. Valid until the next <see cref="ReadLine"/>.</summary>
    public ReadOnlySpan<byte> Current => _input.Buffer.AsSpan(_lineStart, _lineLength);

    /// <summary>Moves to the next non-blank line; false at the end of the input.</summary>
    public bool ReadLine()
    {
        while (true)
        {
            var available = _input.Available;
            var newline = available.IndexOf((byte)'\n');
            if (newline < 0 && !_input.Eof)
            {
                _input.Fill(_nextLine);
                continue;
            }

            if (available.Length == 0)
            {
                return false;
            }

            var length = newline < 0 ? available.Length : newline;
            var start = _input.Start;
            _input.Start = start + (newline < 0 ? length : length + 1);
            Line = _nextLine++;
            var line = available[..length];
            if (line.Length > 0 && line[^1] == '\r')
            {
                length--;
            }

            if (available[..length].TrimStart(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            _lineStart = start;
            _lineLength = length;
            return true;
        }
    }
}
