using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Mlops.Tracking.Server;

/// <summary>Reads an MLflow REST request into one JSON object: the JSON body, or the query string for GET requests.</summary>
internal static class MlflowRequest
{
    public static async Task<JsonObject> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (HttpMethods.IsGet(request.Method) || (request.ContentLength is null or 0 && !request.Headers.TransferEncoding.Any()))
        {
            var query = new JsonObject();
            foreach (var (key, values) in request.Query)
            {
                query[key] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
            }

            return query;
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
    }
}
