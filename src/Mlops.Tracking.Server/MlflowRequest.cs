using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Mlops.Tracking.Server;

/// <summary>
/// Reads an MLflow REST request into one JSON object, refusing what a browser could forge or what no handler can use,
/// before any handler runs: GET parameters come only from the query string; POST, PATCH and DELETE parameters only from
/// an <c>application/json</c> body (never the query string; any other content type is 415); a body over the size
/// limit is 413; a <c>null</c> or wrongly typed element in a list, and lists over the limits, are 400.
/// </summary>
internal static class MlflowRequest
{
    /// <summary>The most <c>order_by</c> keys a search takes (each key joins a table; SQLite joins at most 64).</summary>
    public const int MaxOrderByKeys = 32;

    /// <summary>The most <c>experiment_ids</c> a run search takes (SQLite binds at most 32,766 variables per statement).</summary>
    public const int MaxExperimentIds = 10_000;

    // Lists whose elements are objects ({"key", "value"} pairs, metrics) and lists whose elements are strings.
    private static readonly HashSet<string> s_objectLists = new(StringComparer.Ordinal) { "tags", "params", "metrics" };
    private static readonly HashSet<string> s_stringLists = new(StringComparer.Ordinal) { "experiment_ids", "order_by" };

    public static async Task<JsonObject> ReadAsync(HttpContext context, string endpoint, MlflowRestApiOptions options, CancellationToken cancellationToken)
    {
        var request = context.Request;
        JsonObject result;
        var fromQuery = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        if (fromQuery)
        {
            result = [];
            foreach (var (key, values) in request.Query)
            {
                result[key] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
            }
        }
        else
        {
            result = await ReadBodyAsync(context, options, cancellationToken).ConfigureAwait(false);
        }

        MlflowRequestSchema.Check(endpoint, result, fromQuery);
        Validate(result);
        return result;
    }

    private static async Task<JsonObject> ReadBodyAsync(HttpContext context, MlflowRestApiOptions options, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !string.Equals(mediaType.MediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new MlflowRequestRefusedException(StatusCodes.Status415UnsupportedMediaType, MlflowErrorCodes.BadRequest,
                $"Unsupported Content-Type '{request.ContentType}' for {request.Method}: the request body must be JSON (Content-Type: application/json).");
        }

        if (request.ContentLength > options.MaxRequestBodySize)
        {
            throw TooLarge(options);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxRequestBodySize;
        }

        if (request.ContentLength == 0)
        {
            return [];
        }

        try
        {
            var node = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
            return node as JsonObject ?? throw new MlflowException(MlflowErrorCodes.BadRequest, "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new MlflowException(MlflowErrorCodes.BadRequest, $"Malformed request body: {e.Message}");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(options);
        }
    }

    private static MlflowRequestRefusedException TooLarge(MlflowRestApiOptions options) =>
        new(StatusCodes.Status413PayloadTooLarge, MlflowErrorCodes.BadRequest,
            string.Create(CultureInfo.InvariantCulture, $"The request body exceeds the limit of {options.MaxRequestBodySize} bytes."));

    /// <summary>Refuses nulls and wrong types in lists, empty sort keys and lists over the limits.</summary>
    internal static void Validate(JsonObject request)
    {
        foreach (var (name, value) in request)
        {
            if (value is not JsonArray array)
            {
                continue;
            }

            for (var i = 0; i < array.Count; i++)
            {
                var item = array[i] ?? throw MlflowException.InvalidParameter($"Invalid value null at '{name}[{i}]': list elements must not be null.");
                if (s_objectLists.Contains(name) && item is not JsonObject)
                {
                    throw MlflowException.InvalidParameter($"Invalid value {Shorten(item)} at '{name}[{i}]': expected an object.");
                }

                if (s_stringLists.Contains(name) && (item is not JsonValue scalar || scalar.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number)))
                {
                    throw MlflowException.InvalidParameter($"Invalid value {Shorten(item)} at '{name}[{i}]': expected a string.");
                }

                if (name == "order_by" && string.IsNullOrWhiteSpace(item.GetValueKind() == JsonValueKind.String ? item.GetValue<string>() : "x"))
                {
                    throw MlflowException.InvalidParameter($"Invalid value at 'order_by[{i}]': an order_by key must not be empty.");
                }
            }
        }

        CheckCount(request, "order_by", MaxOrderByKeys);
        CheckCount(request, "experiment_ids", MaxExperimentIds);
        if (request["order_by"] is JsonValue single && single.GetValueKind() == JsonValueKind.String && string.IsNullOrWhiteSpace(single.GetValue<string>()))
        {
            throw MlflowException.InvalidParameter("Invalid value at 'order_by': an order_by key must not be empty.");
        }
    }

    private static void CheckCount(JsonObject request, string name, int limit)
    {
        if (request[name] is JsonArray { Count: var count } && count > limit)
        {
            throw MlflowException.InvalidParameter(string.Create(CultureInfo.InvariantCulture, $"Invalid value for '{name}': {count} elements exceed the limit of {limit}."));
        }
    }

    private static string Shorten(JsonNode node)
    {
        var text = node.ToJsonString();
        return text.Length <= 100 ? text : text[..100] + "...";
    }
}

/// <summary>A request refused before any handler ran, with its own HTTP status (403, 413, 415) and an MLflow error code.</summary>
internal sealed class MlflowRequestRefusedException(int status, string errorCode, string message) : MlflowException(errorCode, message)
{
    public int Status { get; } = status;
}
