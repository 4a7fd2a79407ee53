using System.Text.Json;
using Apache.Arrow;
using Mlops.Features.Csv;
using Mlops.Features.Text;
using Mlops.Storage;

namespace Mlops.Features.Json;

/// <summary>
/// Infers the schema of JSON-lines files from the first SamplingRows lines of each, merged across files,
/// with columns sorted by name as Spark does. See <see cref="JsonReadOptions"/> for the type rules.
/// </summary>
internal static class JsonSchemaInference
{
    public static Schema Infer(IReadOnlyList<StorageLocation> files, JsonSettings settings, CancellationToken cancellationToken)
    {
        var samples = TextFileSampler.SampleAll(files, (file, ct) => Sample(file, settings, ct), settings.DegreeOfParallelism, cancellationToken);
        var types = new Dictionary<string, InferredType>(StringComparer.Ordinal);
        var lines = 0L;
        var malformed = false;
        foreach (var sample in samples)
        {
            lines += sample.Lines;
            malformed |= sample.Malformed;
            foreach (var (name, type) in sample.Types)
            {
                types[name] = types.TryGetValue(name, out var seen) ? InferredTypes.Merge(seen, type) : type;
            }
        }

        if (types.Count > settings.MaxColumns)
        {
            throw new DataFormatException(
                $"the files together have {types.Count:N0} distinct keys, more than the column limit of {settings.MaxColumns:N0} columns (MaxColumns); raise JsonReadOptions.MaxColumns or Mlops:Features:MaxColumns if the data is really this wide",
                files[0].ToString());
        }

        if (lines == 0)
        {
            throw new DataFormatException(CsvSchemaInference.EmptyInput, files[0].ToString(), 1);
        }

        if (malformed && settings.Mode == ReadMode.Permissive)
        {
            // As Spark does, keep malformed lines' text where the user can see it.
            types.TryAdd(settings.CorruptColumn, InferredType.String);
        }

        if (types.Count == 0)
        {
            throw new DataFormatException("cannot infer a schema: the sampled lines hold no fields; pass a schema", files[0].ToString(), 1);
        }

        var fields = types.OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => new Field(t.Key, InferredTypes.ToArrowType(t.Value), nullable: true));
        return new Schema(fields, null);
    }

    private static FileSample Sample(StorageLocation file, JsonSettings settings, CancellationToken cancellationToken)
    {
        using var stream = TextSource.Open(file, cancellationToken);
        var lines = new JsonLineReader(stream, file.ToString(), settings.MaxRecordBytes);
        var types = new Dictionary<string, InferredType>(StringComparer.Ordinal);
        var lookup = types.GetAlternateLookup<ReadOnlySpan<char>>();
        var count = 0;
        var malformed = false;
        Span<char> name = stackalloc char[256];
        var fields = new List<(string Name, InferredType Type)>();
        while (count < settings.SamplingRows && lines.ReadLine())
        {
            if ((count++ & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var error = SampleLine(lines.Current, types, lookup, name, fields, settings.MaxColumns);
            if (types.Count > settings.MaxColumns)
            {
                throw new DataFormatException(
                    $"the lines so far have {types.Count:N0} distinct keys, more than the column limit of {settings.MaxColumns:N0} columns (MaxColumns); raise JsonReadOptions.MaxColumns or Mlops:Features:MaxColumns if the data is really this wide",
                    lines.Source,
                    lines.Line);
            }

            if (error is not null)
            {
                if (error.Limit || settings.Mode == ReadMode.FailFast)
                {
                    throw new DataFormatException(error.Message, lines.Source, lines.Line);
                }

                malformed = true;
            }
        }

        return new FileSample(types, count, malformed);
    }

    /// <summary>Merges one line's field types into <paramref name="types"/>; returns why the line is malformed, or null.</summary>
    private static LineError? SampleLine(
        ReadOnlySpan<byte> line,
        Dictionary<string, InferredType> types,
        Dictionary<string, InferredType>.AlternateLookup<ReadOnlySpan<char>> lookup,
        Span<char> nameBuffer,
        List<(string Name, InferredType Type)> fields,
        int maxColumns)
    {
        fields.Clear();
        var reader = new Utf8JsonReader(line);
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return new($"a JSON line must be an object, but this line holds {JsonText.Describe(reader.TokenType)}");
            }

            // Types are merged only once the whole line is known to be valid.
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                if (fields.Count == maxColumns)
                {
                    return new(JsonText.TooManyKeys(maxColumns), Limit: true);
                }

                var name = PropertyName(ref reader, lookup, nameBuffer);
                reader.Read();
                fields.Add((name, Classify(ref reader)));
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                return new("invalid JSON: the object is not closed");
            }

            if (reader.Read())
            {
                return new("invalid JSON: more than one value on the line");
            }

            foreach (var (name, type) in fields)
            {
                types[name] = types.TryGetValue(name, out var seen) ? InferredTypes.Merge(seen, type) : type;
            }

            return null;
        }
        catch (JsonException e)
        {
            return new(JsonText.InvalidJson(e));
        }
    }

    /// <summary>The property name, reusing the dictionary's string when the name was seen before.</summary>
    private static string PropertyName(ref Utf8JsonReader reader, Dictionary<string, InferredType>.AlternateLookup<ReadOnlySpan<char>> lookup, Span<char> buffer)
    {
        if (!reader.ValueIsEscaped && reader.ValueSpan.Length <= buffer.Length
            && System.Text.Unicode.Utf8.ToUtf16(reader.ValueSpan, buffer, out _, out var written, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done
            && lookup.TryGetValue(buffer[..written], out var existing, out _))
        {
            return existing;
        }

        return JsonText.GetString(ref reader);
    }

    private static InferredType Classify(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True:
            case JsonTokenType.False:
                return InferredType.Bool;
            case JsonTokenType.Null:
                return InferredType.Null;
            case JsonTokenType.String:
                return InferredType.String;
            case JsonTokenType.Number:
                return reader.ValueSpan.IndexOfAny(".eE"u8) < 0 && reader.TryGetInt64(out _) ? InferredType.Long : InferredType.Double;
            case JsonTokenType.StartArray:
                var numbers = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    numbers &= reader.TokenType == JsonTokenType.Number;
                    reader.Skip();
                }

                return numbers ? InferredType.Vector : InferredType.RawJson;
            default:
                reader.Skip();
                return InferredType.RawJson;
        }
    }

    private sealed record LineError(string Message, bool Limit = false);

    private sealed record FileSample(Dictionary<string, InferredType> Types, int Lines, bool Malformed);
}
