using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polly;
using Polly.Retry;

namespace Mlops.Tracking.Rest;

/// <summary>
/// Calls an MLflow REST API 2.0 server: JSON in and out, MLflow's error bodies rethrown as <see cref="MlflowException"/>
/// with their codes, and transient failures (connection errors, timeouts, 429, 500, 502, 503, 504) retried with
/// exponential backoff and jitter by a Polly pipeline, as MLflow's own client does.
/// </summary>
internal sealed class MlflowHttpClient : IDisposable
{
    private const string ApiPrefix = "api/2.0/mlflow/";
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public MlflowHttpClient(Uri baseUri, HttpClient? http = null, int maxRetries = 5, TimeSpan? requestTimeout = null, TimeProvider? timeProvider = null)
    {
        _ownsHttp = http is null;
        _http = http ?? new HttpClient();
        _http.BaseAddress ??= new Uri(baseUri.ToString().TrimEnd('/') + "/");
        _http.Timeout = requestTimeout ?? TimeSpan.FromSeconds(120);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider ?? TimeProvider.System };
        if (maxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = maxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(10),
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>(e => !e.CancellationToken.IsCancellationRequested)
                    .HandleResult(r => r.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
                        or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        }

        _pipeline = builder.Build();
    }

    public Uri BaseAddress => _http.BaseAddress!;

    public Task<JsonObject> PostAsync(string endpoint, JsonObject body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, endpoint, body, cancellationToken);

    public Task<JsonObject> GetAsync(string endpoint, IEnumerable<KeyValuePair<string, string?>> query, CancellationToken cancellationToken)
    {
        var parts = query.Where(q => q.Value is not null).Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value!));
        var queryString = string.Join("&", parts);
        return SendAsync(HttpMethod.Get, queryString.Length == 0 ? endpoint : endpoint + "?" + queryString, null, cancellationToken);
    }

    public Task<JsonObject> PatchAsync(string endpoint, JsonObject body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, endpoint, body, cancellationToken);

    public Task<JsonObject> DeleteAsync(string endpoint, JsonObject body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, endpoint, body, cancellationToken);

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<JsonObject> SendAsync(HttpMethod method, string endpoint, JsonObject? body, CancellationToken cancellationToken)
    {
        var payload = body is null ? null : MlflowJson.Serialize(body);
        using var response = await _pipeline.ExecuteAsync(async token =>
        {
            using var request = new HttpRequestMessage(method, ApiPrefix + endpoint);
            if (payload is not null)
            {
                request.Content = new StringContent(payload, Encoding.UTF8, "application/json");
            }

            return await _http.SendAsync(request, token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        JsonNode? json = null;
        try
        {
            json = text.Length == 0 ? new JsonObject() : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
        }

        if (!response.IsSuccessStatusCode)
        {
            var code = json?["error_code"]?.GetValue<string>() ?? (response.StatusCode == HttpStatusCode.NotFound ? MlflowErrorCodes.EndpointNotFound : MlflowErrorCodes.InternalError);
            var message = json?["message"]?.GetValue<string>() ?? $"{(int)response.StatusCode} {response.ReasonPhrase}: {Truncate(text)}";
            throw new MlflowException(code, $"{message} (from {method} {BaseAddress}{ApiPrefix}{endpoint})");
        }

        return json as JsonObject ?? throw new MlflowException(MlflowErrorCodes.InternalError,
            $"The server answered {method} {ApiPrefix}{endpoint} with something that is not a JSON object: {Truncate(text)}");
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
