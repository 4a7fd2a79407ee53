using System.Buffers;
using System.Text;
using System.Text.Unicode;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Mlops.Features.Server.Http;

/// <summary>
/// Reads a request's JSON body within the body limit into a pooled buffer and parses it: a declared Content-Length
/// over the limit is refused before a byte is read, a chunked body as soon as it passes it (413); a content type other
/// than JSON is 415; an empty body, malformed JSON or a body that is not an object is 400.
/// </summary>
internal static class JsonRequestBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static async Task<RequestDocument> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (!IsJson(request.ContentType))
        {
            throw new FeatureServerRequestException(StatusCodes.Status415UnsupportedMediaType, $"The request's content type is '{request.ContentType ?? "(none)"}'; send application/json.");
        }

        var limit = Math.Min(maxBytes, Array.MaxLength - 1);
        if (request.ContentLength > limit)
        {
            throw TooLarge(maxBytes);
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, request.ContentLength ?? Math.Min(4096, limit + 1)));
        var length = 0;
        var owned = false;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    // One byte of room beyond the limit tells a body at the limit from one past it.
                    var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = grown;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    throw TooLarge(maxBytes);
                }
            }

            if (length == 0)
            {
                throw FeatureServerRequestException.BadRequest("The request body is empty; send a JSON object.");
            }

            // JsonDocument leaves strings unchecked until they are read; a body of invalid UTF-8 is the client's error.
            if (!Utf8.IsValid(buffer.AsSpan(0, length)))
            {
                throw FeatureServerRequestException.BadRequest($"The request body is not valid UTF-8 (byte {FirstInvalidByte(buffer.AsSpan(0, length)) + 1}).");
            }

            JsonDocument document;
            try
            {
                // The document reads the buffer for its whole life: the RequestDocument returns it to the pool after it.
                document = JsonDocument.Parse(buffer.AsMemory(0, length), DocumentOptions);
            }
            catch (JsonException e)
            {
                throw FeatureServerRequestException.BadRequest($"The request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
            }

            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                var kind = document.RootElement.ValueKind;
                document.Dispose();
                throw FeatureServerRequestException.BadRequest($"The request body is a JSON {JsonValues.KindName(kind)}; send a JSON object.");
            }

            owned = true;
            return new RequestDocument(document, buffer);
        }
        finally
        {
            if (!owned)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static int FirstInvalidByte(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }

    private static FeatureServerRequestException TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the server's limit of {maxBytes} bytes.");

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var mediaType = contentType.AsSpan();
        var semicolon = mediaType.IndexOf(';');
        if (semicolon >= 0)
        {
            mediaType = mediaType[..semicolon];
        }

        mediaType = mediaType.Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>A parsed request body and the pooled buffer it reads; disposing releases both, the document first.</summary>
internal sealed class RequestDocument : IDisposable
{
    private readonly JsonDocument _document;
    private byte[]? _buffer;

    public RequestDocument(JsonDocument document, byte[] buffer)
    {
        _document = document;
        _buffer = buffer;
    }

    public JsonElement RootElement => _document.RootElement;

    public void Dispose()
    {
        _document.Dispose();
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
