using System.Text;

namespace Mlops.Pipelines;

/// <summary>
/// Reads a process's output stream line by line in bounded memory: each line is kept up to a cap (the rest is
/// counted, not stored), handed on for the log, and the last non-blank line is remembered for XCom.
/// </summary>
internal sealed class ProcessOutputReader
{
    private readonly TextReader _reader;
    private readonly int _maxLineChars;
    private readonly Action<string> _onLine;
    private readonly StringBuilder _line = new();
    private long _length;
    private bool _blank = true;

    public ProcessOutputReader(TextReader reader, int maxLineChars, Action<string> onLine)
    {
        _reader = reader;
        _maxLineChars = maxLineChars;
        _onLine = onLine;
    }

    /// <summary>The last non-blank line as kept (at most the cap), or null.</summary>
    public string? LastLine { get; private set; }

    /// <summary>The full length, in characters, of <see cref="LastLine"/>'s line; more than its text when the line was over the cap.</summary>
    public long LastLineLength { get; private set; }

    /// <summary>Reads to the end of the stream.</summary>
    public async Task ReadToEndAsync()
    {
        var buffer = new char[8192];
        int read;
        while ((read = await _reader.ReadAsync(buffer.AsMemory()).ConfigureAwait(false)) > 0)
        {
            var span = buffer.AsSpan(0, read);
            while (!span.IsEmpty)
            {
                var newline = span.IndexOf('\n');
                Append(newline < 0 ? span : span[..newline]);
                if (newline < 0)
                {
                    break;
                }

                EndLine();
                span = span[(newline + 1)..];
            }
        }

        if (_length > 0)
        {
            EndLine();
        }
    }

    private void Append(ReadOnlySpan<char> text)
    {
        _length += text.Length;
        _blank &= text.IsWhiteSpace();
        var room = _maxLineChars - _line.Length;
        if (room > 0)
        {
            _line.Append(text[..Math.Min(room, text.Length)]);
        }
    }

    private void EndLine()
    {
        // A CR before the LF ends a Windows line; it is not part of the text.
        if (_line.Length > 0 && _line[^1] == '\r' && _length == _line.Length)
        {
            _line.Length--;
            _length--;
        }

        var text = _line.ToString();
        _onLine(_length > text.Length ? $"{text}... ({_length - text.Length:N0} more characters not logged)" : text);
        if (!_blank)
        {
            LastLine = text;
            LastLineLength = _length;
        }

        _line.Clear();
        _length = 0;
        _blank = true;
    }
}
