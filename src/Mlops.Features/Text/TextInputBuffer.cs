namespace Mlops.Features.Text;

/// <summary>
/// A growable window over a stream of UTF-8 bytes for the record parsers. The unconsumed bytes are
/// <c>Buffer[Start..End)</c>; <see cref="Fill"/> moves them to the front and reads more, growing the
/// buffer when one record does not fit, up to a limit, so memory stays bounded by the longest record.
/// </summary>
internal sealed class TextInputBuffer
{
    private const int InitialSize = 1 << 20;

    private readonly Stream _stream;
    private readonly string _source;
    private readonly int _maxRecordBytes;
    private byte[] _buffer;
    private bool _started;

    public TextInputBuffer(Stream stream, string source, int maxRecordBytes)
    {
        _stream = stream;
        _source = source;
        _maxRecordBytes = maxRecordBytes;
        // Small files (many part files are) get a buffer of their size rather than a full megabyte.
        var size = Math.Min(InitialSize, maxRecordBytes);
        if (stream.CanSeek && stream.Length - stream.Position + 1 < size)
        {
            size = (int)(stream.Length - stream.Position + 1);
        }

        _buffer = new byte[Math.Max(size, 4096)];
    }

    /// <summary>The bytes; valid between <see cref="Start"/> and <see cref="End"/>.</summary>
    public byte[] Buffer => _buffer;

    /// <summary>The first unconsumed byte.</summary>
    public int Start { get; set; }

    /// <summary>One past the last byte read.</summary>
    public int End { get; private set; }

    /// <summary>Whether the stream has no more bytes beyond <see cref="End"/>.</summary>
    public bool Eof { get; private set; }

    /// <summary>The unconsumed bytes.</summary>
    public ReadOnlySpan<byte> Available => _buffer.AsSpan(Start, End - Start);

    /// <summary>
    /// Reads more bytes after the unconsumed ones, which move to the front (so positions change).
    /// Returns false at the end of the stream. The first call skips a UTF-8 byte order mark.
    /// </summary>
    /// <param name="recordLine">The line the pending record starts on, for the error when it is too long.</param>
    /// <exception cref="DataFormatException">The pending record is longer than the limit.</exception>
    public bool Fill(long recordLine)
    {
        if (Eof)
        {
            return false;
        }

        var pending = End - Start;
        if (pending > _buffer.Length / 2 && _buffer.Length < _maxRecordBytes)
        {
            // Grow early rather than re-parse a long record after each small read.
            var grown = new byte[(int)Math.Min((long)_buffer.Length * 2, _maxRecordBytes)];
            _buffer.AsSpan(Start, pending).CopyTo(grown);
            _buffer = grown;
        }
        else if (pending == _buffer.Length)
        {
            throw new DataFormatException(
                $"a record longer than {_maxRecordBytes:N0} bytes starts here (MaxRecordBytes); an unterminated quote is the usual cause, otherwise raise MaxRecordBytes.",
                _source,
                recordLine);
        }
        else if (Start > 0)
        {
            _buffer.AsSpan(Start, pending).CopyTo(_buffer);
        }

        Start = 0;
        End = pending;
        var read = _stream.ReadAtLeast(_buffer.AsSpan(End), _buffer.Length - End, throwOnEndOfStream: false);
        if (!_started)
        {
            _started = true;
            if (read >= 3 && _buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF)
            {
                Start = 3;
            }
        }

        End += read;
        if (End < _buffer.Length)
        {
            // ReadAtLeast only returns less than asked at the end of the stream.
            Eof = true;
        }

        return read > 0;
    }
}
