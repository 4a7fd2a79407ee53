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
}
