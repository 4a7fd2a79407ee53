using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Mlops.Features.Text;

namespace Mlops.Features.Json;

/// <summary>
/// Parses one JSON object per line with <see cref="Utf8JsonReader"/> into a <see cref="TextBatchBuilder"/>.
/// Values are first staged per column as slices of the line (keys may come in any order and repeat; the
/// last wins), then appended in column order. Strings that need unescaping and vector elements go to
/// scratch buffers reused across lines, so a line costs no allocation.
/// </summary>
internal sealed class JsonLineParser
{
    private const int MaxStackName = 256;

    private readonly TextSchemaPlan _plan;
    private readonly byte[][] _names;
    private readonly Dictionary<string, int> _columns;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Slot[] _slots;
    private readonly int[] _stamps;
    private int[] _predicted = new int[16];
    private int _stamp;
    private byte[] _scratch = new byte[1024];
    private int _scratchLength;
    private double[] _vectors = new double[256];
    private int _vectorLength;

    private readonly int _maxColumns;

    public JsonLineParser(TextSchemaPlan plan, int maxColumns)
    {
        _plan = plan;
        _maxColumns = maxColumns;
        _names = plan.DataNames.Select(Encoding.UTF8.GetBytes).ToArray();
        _columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < plan.DataNames.Length; i++)
        {
            _columns.TryAdd(plan.DataNames[i], i);
        }

        _lookup = _columns.GetAlternateLookup<ReadOnlySpan<char>>();
        _slots = new Slot[plan.DataColumnCount];
        _stamps = new int[plan.DataColumnCount];
        Array.Fill(_predicted, -1);
    }

    private enum SlotKind : byte
    {
        Null,
        String,
        ScratchString,
        Number,
        True,
        False,
        Json,
        Vector,
        BadVector,
    }

    /// <summary>Why the last line was malformed, or null.</summary>
    public string? Error { get; private set; }

    /// <summary>Whether the last line failed for having more keys than the column limit, which fails the read in every mode.</summary>
    public bool OverColumnLimit { get; private set; }

    /// <summary>The column the error is about, or null when it is about the whole line.</summary>
    public string? ErrorColumn { get; private set; }

    /// <summary>Appends one row for <paramref name="line"/>; returns false when the line is malformed (see <see cref="Error"/>).</summary>
    public bool Parse(ReadOnlySpan<byte> line, TextBatchBuilder batch)
    {
        Error = null;
        ErrorColumn = null;
        OverColumnLimit = false;
        if (!Stage(line))
        {
            for (var c = 0; c < _slots.Length; c++)
            {
                batch.AppendNull(c);
            }

            return false;
        }

        for (var c = 0; c < _slots.Length; c++)
        {
            if (_stamps[c] != _stamp)
            {
                batch.AppendNull(c);
                continue;
            }

            var slot = _slots[c];
            var ok = slot.Kind switch
            {
                SlotKind.Null => AppendNull(batch, c),
                SlotKind.String => batch.AppendJsonString(c, line.Slice(slot.Start, slot.Length)),
                SlotKind.ScratchString => batch.AppendJsonString(c, _scratch.AsSpan(slot.Start, slot.Length)),
                SlotKind.Number => batch.AppendJsonNumber(c, line.Slice(slot.Start, slot.Length)),
                SlotKind.True => batch.AppendJsonBool(c, true),
                SlotKind.False => batch.AppendJsonBool(c, false),
                SlotKind.Json => batch.AppendJsonText(c, line.Slice(slot.Start, slot.Length)),
                SlotKind.Vector => batch.AppendVector(c, _vectors.AsSpan(slot.Start, slot.Length)),
                _ => AppendNull(batch, c) && false,
            };
            if (!ok && Error is null)
            {
                Error = batch.InvalidUtf8Offset >= 0
                    ? batch.InvalidUtf8Message(slot.Kind == SlotKind.Json ? "the value" : "the string")
                    : $"cannot read {Describe(line, slot)} as {batch.TypeName(c)}{_plan.InferenceNote}";
                ErrorColumn = _plan.DataNames[c];
            }
        }

        return Error is null;
    }

    private static bool AppendNull(TextBatchBuilder batch, int column)
    {
        batch.AppendNull(column);
        return true;
    }

    /// <summary>Stages every known key's value; false when the line is not a valid JSON object.</summary>
    private bool Stage(ReadOnlySpan<byte> line)
    {
        _stamp++;
        _scratchLength = 0;
        _vectorLength = 0;
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Error = $"a JSON line must be an object, but this line holds {JsonText.Describe(reader.TokenType)}";
                return false;
            }

            for (var position = 0; ; position++)
            {
                if (!reader.Read())
                {
                    Error = "invalid JSON: the object is not closed";
                    return false;
                }

                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                if (position == _maxColumns)
                {
                    Error = JsonText.TooManyKeys(_maxColumns);
                    OverColumnLimit = true;
                    return false;
                }

                var column = Lookup(ref reader, position);
                reader.Read();
                if (column < 0)
                {
                    reader.Skip();
                    continue;
                }

                _stamps[column] = _stamp;
                _slots[column] = StageValue(ref reader, column);
            }

            if (reader.Read())
            {
                Error = "invalid JSON: more than one value on the line";
                return false;
            }

            return true;
        }
        catch (JsonException e)
        {
            Error = JsonText.InvalidJson(e);
            return false;
        }
    }

    private Slot StageValue(ref Utf8JsonReader reader, int column)
    {
        var start = (int)reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.String when !reader.ValueIsEscaped:
                return new Slot(SlotKind.String, start + 1, reader.ValueSpan.Length);
            case JsonTokenType.String:
                EnsureScratch(reader.ValueSpan.Length);
                var written = JsonText.CopyString(ref reader, _scratch.AsSpan(_scratchLength));
                _scratchLength += written;
                return new Slot(SlotKind.ScratchString, _scratchLength - written, written);
            case JsonTokenType.Number:
                return new Slot(SlotKind.Number, start, reader.ValueSpan.Length);
            case JsonTokenType.True:
                return new Slot(SlotKind.True, 0, 0);
            case JsonTokenType.False:
                return new Slot(SlotKind.False, 0, 0);
            case JsonTokenType.Null:
                return new Slot(SlotKind.Null, 0, 0);
            case JsonTokenType.StartArray when _plan.Kinds[column] == TextColumnKind.Vector:
                return StageVector(ref reader, start);
            default:
                // An object or array kept as its JSON text.
                reader.Skip();
                return new Slot(SlotKind.Json, start, (int)reader.BytesConsumed - start);
        }
    }

    private Slot StageVector(ref Utf8JsonReader reader, int start)
    {
        var first = _vectorLength;
        var numeric = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.Number && numeric && reader.TryGetDouble(out var value))
            {
                if (_vectorLength == _vectors.Length)
                {
                    Array.Resize(ref _vectors, _vectors.Length * 2);
                }

                _vectors[_vectorLength++] = value;
            }
            else
            {
                numeric = false;
                reader.Skip();
            }
        }

        return numeric
            ? new Slot(SlotKind.Vector, first, _vectorLength - first)
            : new Slot(SlotKind.BadVector, start, (int)reader.BytesConsumed - start);
    }

    private int Lookup(ref Utf8JsonReader reader, int position)
    {
        if (position < _predicted.Length && _predicted[position] is var guess and >= 0 && JsonText.ValueTextEquals(ref reader, _names[guess]))
        {
            return guess;
        }

        var column = LookupByName(ref reader);
        if (position >= _predicted.Length)
        {
            var grown = new int[Math.Max(_predicted.Length * 2, position + 1)];
            Array.Fill(grown, -1);
            _predicted.CopyTo(grown, 0);
            _predicted = grown;
        }

        // Lines usually list keys in the same order, so the next line is checked against this one first.
        _predicted[position] = column;
        return column;
    }

    private int LookupByName(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && reader.ValueSpan.Length <= MaxStackName)
        {
            Span<char> chars = stackalloc char[MaxStackName];
            if (Utf8.ToUtf16(reader.ValueSpan, chars, out _, out var written, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done)
            {
                return _lookup.TryGetValue(chars[..written], out var found) ? found : -1;
            }
        }

        return _columns.TryGetValue(JsonText.GetString(ref reader), out var column) ? column : -1;
    }

    private void EnsureScratch(int extra)
    {
        if (_scratchLength + extra > _scratch.Length)
        {
            Array.Resize(ref _scratch, Math.Max(_scratch.Length * 2, _scratchLength + extra));
        }
    }

    private string Describe(ReadOnlySpan<byte> line, Slot slot) => slot.Kind switch
    {
        SlotKind.String => "the string " + TextSource.Quote(line.Slice(slot.Start, slot.Length)),
        SlotKind.ScratchString => "the string " + TextSource.Quote(_scratch.AsSpan(slot.Start, slot.Length)),
        SlotKind.Number => "the number " + TextSource.Quote(line.Slice(slot.Start, slot.Length)),
        SlotKind.True => "true",
        SlotKind.False => "false",
        SlotKind.Vector => "an array of numbers",
        SlotKind.BadVector => "an array that is not all numbers, " + TextSource.Quote(line.Slice(slot.Start, slot.Length)) + ",",
        _ => (line[slot.Start] == '{' ? "the object " : "the array ") + TextSource.Quote(line.Slice(slot.Start, slot.Length)),
    };

    private readonly record struct Slot(SlotKind Kind, int Start, int Length);
}
