using System.Net;
using System.Text;
using System.Text.Json;

namespace Mlops.Serving.Tests.FrontEnds;

/// <summary>Small helpers to send raw requests and read answers as JSON.</summary>
internal static class Wire
{
    public static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(HttpClient http, HttpMethod method, string path, string? json = null, string contentType = "application/json", IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var body = bytes.Length == 0 || response.Content.Headers.ContentType?.MediaType != "application/json" ? default : JsonDocument.Parse(bytes).RootElement.Clone();
        return (response.StatusCode, body, response);
    }

    public static Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(HttpClient http, string path, string json, IDictionary<string, string>? headers = null) =>
        SendAsync(http, HttpMethod.Post, path, json, headers: headers);

    public static Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> GetAsync(HttpClient http, string path, IDictionary<string, string>? headers = null) =>
        SendAsync(http, HttpMethod.Get, path, headers: headers);

    /// <summary>The error message of a protocol error body; fails unless the body is exactly <c>{"error": "..."}</c>.</summary>
    public static string Error(JsonElement body)
    {
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
        var properties = body.EnumerateObject().ToList();
        Assert.Single(properties);
        Assert.Equal("error", properties[0].Name);
        Assert.Equal(JsonValueKind.String, properties[0].Value.ValueKind);
        return properties[0].Value.GetString()!;
    }
}
