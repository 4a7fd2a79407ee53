using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Mlops.Serving.Protocol;

namespace Mlops.Serving.Rest;

/// <summary>Writes JSON bodies with their Content-Length, and the protocol's one error shape, <c>{"error": "..."}</c>.</summary>
internal static class HttpResponses
{
    public const string Json = "application/json";
    public const string OctetStream = "application/octet-stream";

    public static async Task WriteJsonAsync<TState>(HttpContext context, int status, TState state, Action<Utf8JsonWriter, TState> write)
    {
        using var buffer = new PooledBufferWriter(1024);
        using (var writer = new Utf8JsonWriter(buffer, InferenceResponseWriter.Options))
        {
            write(writer, state);
        }

        await WriteAsync(context, status, Json, buffer.WrittenMemory).ConfigureAwait(false);
    }

    public static async Task WriteAsync(HttpContext context, int status, string? contentType, ReadOnlyMemory<byte> body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        if (!body.IsEmpty)
        {
            await response.BodyWriter.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Answers with an error; a 503 carries Retry-After, a 401 the Bearer challenge.</summary>
    public static Task WriteErrorAsync(HttpContext context, int status, string message, TimeSpan? retryAfter = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late for a status: cutting the connection is the only honest answer.
            context.Abort();
            return Task.CompletedTask;
        }

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = ProtocolErrors.RetryAfterSeconds(retryAfter);
        }
        else if (status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        return WriteJsonAsync(context, status, message, static (writer, text) =>
        {
            writer.WriteStartObject();
            writer.WriteString("error"u8, text);
            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// Whether a POST body's content type is one the server reads: none, JSON (<c>application/json</c>,
    /// <c>*/*+json</c>), <c>application/octet-stream</c> (binary tensor data), or what curl's <c>-d</c> sends
    /// (<c>application/x-www-form-urlencoded</c>, <c>text/plain</c>) — the body is read as the protocol's JSON either way.
    /// </summary>
    public static bool IsAcceptedContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        var type = media.MediaType;
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || type.Equals(OctetStream, StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/plain", StringComparison.OrdinalIgnoreCase);
    }

    public static string UnsupportedMediaTypeMessage(string? contentType) =>
        $"content type '{contentType}' is not accepted: send application/json, or application/octet-stream with the binary tensor data extension.";
}
