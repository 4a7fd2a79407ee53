using System.Text.Json;

namespace Mlops.Features.Json;

/// <summary>Wording shared by the JSON reader's messages.</summary>
internal static class JsonText
{
    /// <summary>"an array", "a number", ... for a token type.</summary>
    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "no value",
    };

    /// <summary>The message for a line the JSON reader rejects: its reason and the byte position within the line.</summary>
    public static string InvalidJson(JsonException e)
    {
        // The reader's message ends with its own position; the line is ours, so keep only the reason.
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        return $"invalid JSON at byte {e.BytePositionInLine ?? 0} of the line: {message}";
    }

    /// <summary>The message for an object with more keys than the column limit.</summary>
    public static string TooManyKeys(int maxColumns) =>
        $"the object has more than {maxColumns:N0} keys, the column limit (MaxColumns); raise JsonReadOptions.MaxColumns or Mlops:Features:MaxColumns if the data is really this wide";

    /// <summary>
    /// The current string token, unescaped, as <see cref="Utf8JsonReader.GetString"/> but failing with a
    /// <see cref="JsonException"/> at the token's byte when the text is not valid UTF-8 or an escape is a lone
    /// surrogate (the reader throws a bare <see cref="InvalidOperationException"/> for both).
    /// </summary>
    public static string GetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw InvalidText(ref reader, e);
        }
    }

    /// <summary>Whether the current token's unescaped text is <paramref name="utf8"/>; see <see cref="GetString"/> for the errors.</summary>
    public static bool ValueTextEquals(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8)
    {
        try
        {
            return reader.ValueTextEquals(utf8);
        }
        catch (InvalidOperationException e)
        {
            throw InvalidText(ref reader, e);
        }
    }

    /// <summary>The current string token, unescaped, into <paramref name="destination"/>; see <see cref="GetString"/> for the errors.</summary>
    public static int CopyString(ref Utf8JsonReader reader, Span<byte> destination)
    {
        try
        {
            var written = reader.CopyString(destination);
            if (!System.Text.Unicode.Utf8.IsValid(destination[..written]))
            {
                throw new InvalidOperationException("The string is not valid UTF-8.");
            }

            return written;
        }
        catch (InvalidOperationException e)
        {
            throw InvalidText(ref reader, e);
        }
    }

    private static JsonException InvalidText(ref Utf8JsonReader reader, InvalidOperationException e) =>
        new($"the {(reader.TokenType == JsonTokenType.PropertyName ? "key" : "string")} starting here is not valid UTF-8 or holds a lone surrogate escape (\\uD800-\\uDFFF without its pair) ({e.Message})", null, 0, reader.TokenStartIndex, e);
}
