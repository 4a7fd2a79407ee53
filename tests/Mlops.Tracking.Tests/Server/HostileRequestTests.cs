using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Tracking.Server;
using Xunit.Abstractions;

namespace Mlops.Tracking.Tests.Server;

/// <summary>
/// Forged cross-site requests, malformed bodies and requests over the store's limits all get a 4xx in MLflow's error
/// shape, never a 5xx, and leave the data alone. Kestrel on 127.0.0.1 over a SQLite file.
/// </summary>
public sealed class HostileRequestTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Evil = "http://evil.example";
    private ServerHarness _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await ServerHarness.StartAsync("--allowed-origins", "https://ui.example");

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private int Port => new Uri(_server.Uri).Port;

    private async Task<(HttpStatusCode Status, JsonObject? Body, HttpResponseMessage Response)> Send(
        HttpMethod method, string endpoint, string? body = null, string? contentType = "application/json", string? origin = null, string prefix = "/api/2.0/mlflow/")
    {
        using var request = new HttpRequestMessage(method, _server.Uri + prefix + endpoint);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        }

        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }

        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonObject? json = null;
        try
        {
            json = text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
        }

        return (response.StatusCode, json, response);
    }

    private async Task<string> CreateExperiment(string name)
    {
        var (status, body, _) = await Send(HttpMethod.Post, "experiments/create", JsonSerializer.Serialize(new { name }));
        Assert.Equal(HttpStatusCode.OK, status);
        return body!["experiment_id"]!.GetValue<string>();
    }

    private async Task<string> Lifecycle(string experimentId) =>
        (await Send(HttpMethod.Get, "experiments/get?experiment_id=" + experimentId)).Body!["experiment"]!["lifecycle_stage"]!.GetValue<string>();

    private static void AssertMlflowError(HttpStatusCode expected, string errorCode, (HttpStatusCode Status, JsonObject? Body, HttpResponseMessage Response) result, string? mentions = null)
    {
        Assert.Equal(expected, result.Status);
        Assert.NotNull(result.Body);
        Assert.Equal(errorCode, result.Body!["error_code"]!.GetValue<string>());
        var message = result.Body["message"]!.GetValue<string>();
        if (mentions is not null)
        {
            Assert.Contains(mentions, message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_forged_form_post_with_the_parameters_in_the_query_deletes_nothing()
    {
        var id = await CreateExperiment("victim");

        // What a web page's <form method=post action=...?experiment_id=N> sends: a form content type, an empty body.
        AssertMlflowError(HttpStatusCode.Forbidden, "PERMISSION_DENIED",
            await Send(HttpMethod.Post, "experiments/delete?experiment_id=" + id, "", "application/x-www-form-urlencoded", Evil), Evil);
        AssertMlflowError(HttpStatusCode.UnsupportedMediaType, "BAD_REQUEST",
            await Send(HttpMethod.Post, "experiments/delete?experiment_id=" + id, "", "application/x-www-form-urlencoded"), "application/json");
        AssertMlflowError(HttpStatusCode.UnsupportedMediaType, "BAD_REQUEST", await Send(HttpMethod.Post, "experiments/delete?experiment_id=" + id, null, null));
        Assert.Equal("active", await Lifecycle(id));
    }

    [Fact]
    public async Task Bodies_must_be_json_and_post_parameters_never_come_from_the_query()
    {
        var id = await CreateExperiment("plain");
        var body = JsonSerializer.Serialize(new { experiment_id = id });
        AssertMlflowError(HttpStatusCode.UnsupportedMediaType, "BAD_REQUEST", await Send(HttpMethod.Post, "experiments/delete", body, "text/plain"));
        AssertMlflowError(HttpStatusCode.UnsupportedMediaType, "BAD_REQUEST", await Send(HttpMethod.Post, "experiments/delete", body, "multipart/form-data; boundary=x"));
        AssertMlflowError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", await Send(HttpMethod.Post, "experiments/delete?experiment_id=" + id, "{}"), "'experiment_id'");
        Assert.Equal("active", await Lifecycle(id));

        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "experiments/delete", body, "application/json; charset=utf-8")).Status);
        Assert.Equal("deleted", await Lifecycle(id));
    }

    [Fact]
    public async Task Mutating_requests_from_other_origins_are_refused_and_preflights_answered_only_for_allowed_ones()
    {
        var id = await CreateExperiment("origins");
        var body = JsonSerializer.Serialize(new { experiment_id = id, key = "k", value = "v" });
        AssertMlflowError(HttpStatusCode.Forbidden, "PERMISSION_DENIED", await Send(HttpMethod.Post, "experiments/set-experiment-tag", body, origin: Evil), Evil);
        AssertMlflowError(HttpStatusCode.Forbidden, "PERMISSION_DENIED", await Send(HttpMethod.Post, "experiments/set-experiment-tag", body, origin: "http://127.0.0.1:1"));
        AssertMlflowError(HttpStatusCode.Forbidden, "PERMISSION_DENIED", await Send(HttpMethod.Post, "experiments/set-experiment-tag", body, origin: "null"));
        AssertMlflowError(HttpStatusCode.Forbidden, "PERMISSION_DENIED", await Send(HttpMethod.Delete, "registered-models/delete", "{\"name\":\"m\"}", origin: Evil));

        foreach (var allowed in new[] { "http://127.0.0.1:" + Port, "http://localhost:" + Port, "https://ui.example" })
        {
            var (status, _, response) = await Send(HttpMethod.Post, "experiments/set-experiment-tag", body, origin: allowed);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(allowed, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        // Reads from elsewhere are answered (a browser hides them without the CORS header), never with the header.
        var read = await Send(HttpMethod.Get, "experiments/get?experiment_id=" + id, origin: Evil);
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.False(read.Response.Headers.Contains("Access-Control-Allow-Origin"));

        using var preflight = new HttpRequestMessage(HttpMethod.Options, _server.Uri + "/api/2.0/mlflow/experiments/delete");
        preflight.Headers.Add("Origin", "https://ui.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var answer = await _http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("https://ui.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);

        using var forged = new HttpRequestMessage(HttpMethod.Options, _server.Uri + "/api/2.0/mlflow/experiments/delete");
        forged.Headers.Add("Origin", Evil);
        forged.Headers.Add("Access-Control-Request-Method", "POST");
        using var refused = await _http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_body_over_the_default_limit_gets_413_in_mlflows_shape()
    {
        // Expect: 100-continue lets the server answer before the client has sent the 30 MB (no broken pipe on loopback).
        var huge = "{\"name\":\"" + new string('x', (int)MlflowRestApiOptions.DefaultMaxRequestBodySize) + "\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, _server.Uri + "/api/2.0/mlflow/experiments/create")
        {
            Content = new StringContent(huge, Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("BAD_REQUEST", body["error_code"]!.GetValue<string>());
        Assert.Contains("30000000", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_a_configured_limit_gets_413_with_or_without_a_content_length()
    {
        await using var small = await ServerHarness.StartAsync("--max-request-body-size", "1000");
        var body = "{\"name\":\"" + new string('x', 5000) + "\"}";
        using var declared = new HttpRequestMessage(HttpMethod.Post, small.Uri + "/api/2.0/mlflow/experiments/create")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        declared.Headers.ExpectContinue = true;
        using var first = await _http.SendAsync(declared);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, first.StatusCode);
        Assert.Equal("BAD_REQUEST", JsonNode.Parse(await first.Content.ReadAsStringAsync())!["error_code"]!.GetValue<string>());

        using var chunked = new HttpRequestMessage(HttpMethod.Post, small.Uri + "/api/2.0/mlflow/experiments/create")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body))),
        };
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        using var second = await _http.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, second.StatusCode);
        Assert.Contains("1000 bytes", JsonNode.Parse(await second.Content.ReadAsStringAsync())!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("runs/log-batch", "{\"run_id\":\"RUN\",\"metrics\":[null]}", "metrics[0]")]
    [InlineData("runs/log-batch", "{\"run_id\":\"RUN\",\"params\":[null]}", "params[0]")]
    [InlineData("runs/log-batch", "{\"run_id\":\"RUN\",\"tags\":[{\"key\":\"a\",\"value\":\"b\"},null]}", "tags[1]")]
    [InlineData("runs/log-batch", "{\"run_id\":\"RUN\",\"metrics\":[\"m\"]}", "metrics[0]")]
    [InlineData("experiments/create", "{\"name\":\"n\",\"tags\":[null]}", "tags[0]")]
    [InlineData("runs/create", "{\"experiment_id\":\"0\",\"tags\":[null]}", "tags[0]")]
    [InlineData("registered-models/create", "{\"name\":\"m\",\"tags\":[null]}", "tags[0]")]
    [InlineData("model-versions/create", "{\"name\":\"m\",\"source\":\"s\",\"tags\":[null]}", "tags[0]")]
    [InlineData("runs/search", "{\"experiment_ids\":[null]}", "experiment_ids[0]")]
    [InlineData("runs/search", "{\"experiment_ids\":[\"0\"],\"order_by\":[null]}", "order_by[0]")]
    [InlineData("runs/search", "{\"experiment_ids\":[[\"0\"]]}", "experiment_ids[0]")]
    [InlineData("experiments/search", "{\"order_by\":[null]}", "order_by[0]")]
    [InlineData("experiments/search", "{\"order_by\":[\"\"]}", "order_by[0]")]
    [InlineData("experiments/search", "{\"order_by\":[\"name\", \"  \"]}", "order_by[1]")]
    public async Task Nulls_and_wrong_types_in_lists_are_400_naming_the_element(string endpoint, string body, string mentions)
    {
        var (_, created, _) = await Send(HttpMethod.Post, "runs/create", "{\"experiment_id\":\"0\"}");
        AssertMlflowError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE",
            await Send(HttpMethod.Post, endpoint, body.Replace("RUN", created!["run"]!["info"]!["run_id"]!.GetValue<string>(), StringComparison.Ordinal)), mentions);
    }

    [Fact]
    public async Task Requests_over_sqlites_limits_are_400_naming_the_field_and_the_limit()
    {
        // Rows to evaluate: SQLite checks some limits only when a row meets the expression.
        var experimentId = await CreateExperiment("limits");
        var (_, created, _) = await Send(HttpMethod.Post, "runs/create", JsonSerializer.Serialize(new { experiment_id = experimentId }));
        var runId = created!["run"]!["info"]!["run_id"]!.GetValue<string>();
        var metrics = Enumerable.Range(0, 10).Select(i => new { key = "m" + i, value = 1.0, timestamp = 1, step = 0 });
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "runs/log-batch", JsonSerializer.Serialize(new { run_id = runId, metrics }))).Status);

        var filter = string.Join(" AND ", Enumerable.Range(0, 1500).Select(i => $"metrics.m{i % 10} > -{i}"));
        AssertMlflowError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE",
            await Send(HttpMethod.Post, "runs/search", JsonSerializer.Serialize(new { experiment_ids = new[] { experimentId }, filter })), "filter");
        var like = "attributes.run_name LIKE '%" + new string('a', 50_000) + "%'";
        AssertMlflowError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE",
            await Send(HttpMethod.Post, "runs/search", JsonSerializer.Serialize(new { experiment_ids = new[] { experimentId }, filter = like })), "filter");

        var ids = Enumerable.Range(0, 40_000).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        AssertMlflowError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE",
            await Send(HttpMethod.Post, "runs/search", JsonSerializer.Serialize(new { experiment_ids = ids })), "experiment_ids");

        var orderBy = Enumerable.Range(0, 70).Select(i => $"metrics.m{i} DESC").ToArray();
        AssertMlflowError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE",
            await Send(HttpMethod.Post, "runs/search", JsonSerializer.Serialize(new { experiment_ids = new[] { experimentId }, order_by = orderBy })), "order_by");
        AssertMlflowError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE",
            await Send(HttpMethod.Post, "experiments/search", JsonSerializer.Serialize(new { order_by = Enumerable.Repeat("name", 70) })), "order_by");

        // Within the limits the same searches run.
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "runs/search", JsonSerializer.Serialize(new { experiment_ids = ids[..1000], order_by = orderBy[..10] }))).Status);
    }

    [Fact]
    public async Task A_thousand_hostile_requests_across_every_endpoint_get_no_5xx()
    {
        var experimentId = await CreateExperiment("hostile");
        var (_, created, _) = await Send(HttpMethod.Post, "runs/create", JsonSerializer.Serialize(new { experiment_id = experimentId }));
        var runId = created!["run"]!["info"]!["run_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "registered-models/create", "{\"name\":\"hm\"}")).Status);

        var routes = TrackingEndpoints.All.Concat(RegistryEndpoints.All).Select(r => (r.Method, r.Path)).ToList();
        string[] fields =
        [
            "experiment_id", "run_id", "run_uuid", "name", "key", "value", "tags", "params", "metrics", "experiment_ids", "order_by",
            "filter", "max_results", "page_token", "view_type", "run_view_type", "start_time", "end_time", "status", "timestamp", "step",
            "version", "alias", "source", "description", "new_name", "metric_key", "experiment_name", "artifact_location", "user_id", "run_name",
        ];
        JsonNode?[] Values(Random random) =>
        [
            null, "", " ", new string('z', 20_000), "NaN", "-Infinity", "' OR 1=1 --", "%_%", "\u0000\uFFFF\uD83D\uDE00", experimentId, runId, "hm", "1",
            0, -1, long.MaxValue, long.MinValue, 1e308, -0.5, true, false,
            new JsonArray(), new JsonArray((JsonNode?)null), new JsonArray(1, "a", null), new JsonArray(new JsonObject { ["key"] = null, ["value"] = 1 }),
            new JsonArray(new JsonObject { ["key"] = "k", ["value"] = new JsonArray() }), new JsonArray(new JsonArray(new JsonArray())),
            new JsonArray(Enumerable.Range(0, 120).Select(i => (JsonNode?)new JsonObject { ["key"] = "k" + i, ["value"] = "v", ["timestamp"] = i, ["step"] = "x" }).ToArray()),
            new JsonObject(), new JsonObject { ["nested"] = new JsonObject() },
            string.Join(" AND ", Enumerable.Range(0, random.Next(1, 1200)).Select(i => $"metrics.m{i} > {i}")),
            "name LIKE '%" + new string('a', random.Next(1, 60_000)) + "%'",
            new JsonArray(Enumerable.Range(0, random.Next(1, 200)).Select(i => (JsonNode?)$"metrics.m{i}").ToArray()),
            "nul\u0000name", "bell\u0007", "esc\u001b[31m", "line\r\nbreak", "../../etc/passwd", "file:///etc/passwd", "/etc/passwd", "s3://b/%2e%2e/x",
            new string('r', 300_000), 4_294_967_297L, 2_147_483_649L, "4294967297", 50_001, 1e19, "99999999999999999999",
        ];
        var valid = new Dictionary<string, JsonNode?>
        {
            ["experiment_id"] = experimentId, ["run_id"] = runId, ["run_uuid"] = runId, ["name"] = "hm", ["key"] = "k", ["value"] = "1",
            ["tags"] = new JsonArray(new JsonObject { ["key"] = "t", ["value"] = "v" }), ["params"] = new JsonArray(new JsonObject { ["key"] = "p", ["value"] = "v" }),
            ["metrics"] = new JsonArray(new JsonObject { ["key"] = "m", ["value"] = 1.5, ["timestamp"] = 1, ["step"] = 0 }),
            ["experiment_ids"] = new JsonArray(experimentId), ["order_by"] = new JsonArray(), ["filter"] = "", ["max_results"] = 10,
            ["view_type"] = "ACTIVE_ONLY", ["run_view_type"] = "ALL", ["start_time"] = 1, ["end_time"] = 2, ["status"] = "FINISHED", ["timestamp"] = 1,
            ["step"] = 0, ["version"] = "1", ["alias"] = "champion", ["source"] = "runs:/x/model", ["description"] = "d", ["new_name"] = "hm2",
            ["metric_key"] = "m", ["experiment_name"] = "hostile", ["run_name"] = "r",
        };
        static string[] FieldsOf(string path) => path switch
        {
            "experiments/create" => ["name", "tags"],
            "experiments/get" or "experiments/delete" or "experiments/restore" => ["experiment_id"],
            "experiments/get-by-name" => ["experiment_name"],
            "experiments/search" => ["max_results", "order_by", "filter", "view_type"],
            "experiments/update" => ["experiment_id", "new_name"],
            "experiments/set-experiment-tag" => ["experiment_id", "key", "value"],
            "runs/create" => ["experiment_id", "tags", "run_name", "start_time"],
            "runs/get" or "runs/delete" or "runs/restore" => ["run_id"],
            "runs/update" => ["run_id", "status", "end_time"],
            "runs/log-metric" => ["run_id", "key", "value", "timestamp", "step"],
            "runs/log-parameter" or "runs/set-tag" => ["run_id", "key", "value"],
            "runs/delete-tag" => ["run_id", "key"],
            "runs/log-batch" => ["run_id", "metrics", "params", "tags"],
            "runs/search" => ["experiment_ids", "filter", "order_by", "max_results", "run_view_type"],
            "metrics/get-history" => ["run_id", "metric_key"],
            "registered-models/create" => ["name", "tags", "description"],
            "registered-models/rename" => ["name", "new_name"],
            "registered-models/update" => ["name", "description"],
            "registered-models/search" or "model-versions/search" => ["filter", "max_results", "order_by"],
            "registered-models/set-tag" => ["name", "key", "value"],
            "registered-models/delete-tag" => ["name", "key"],
            "registered-models/alias" => ["name", "alias", "version"],
            "model-versions/create" => ["name", "source", "run_id", "tags", "description"],
            "model-versions/update" => ["name", "version", "description"],
            "model-versions/set-tag" => ["name", "version", "key", "value"],
            "model-versions/delete-tag" => ["name", "version", "key"],
            _ => ["name", "version"],
        };
        string[] contentTypes = ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "application/xml"];
        string[] malformed = ["{", "[]", "null", "\"s\"", "{\"a\":}", "1", "{\"name\":\"x\",}", "\uFEFF{}", "{\"tags\":[null,", ""];
        string[] origins = [Evil, "null", "http://127.0.0.1:1", "https://ui.example", "http://localhost:" + Port, "not a url"];

        var random = new Random(20261208);
        var statuses = new SortedDictionary<int, int>();
        var failures = new List<string>();
        const int Count = 1200;
        for (var i = 0; i < Count; i++)
        {
            var (method, path) = routes[random.Next(routes.Count)];
            var prefix = random.Next(2) == 0 ? "/api/2.0/mlflow/" : "/ajax-api/2.0/mlflow/";
            var values = Values(random);
            // A well-formed request for the endpoint, then one to three of its fields (or others) made hostile, so the
            // hostile value reaches the handler instead of stopping at a missing required field.
            var request = new JsonObject();
            var own = FieldsOf(path);
            foreach (var field in own)
            {
                request[field] = valid[field]?.DeepClone();
            }

            for (var f = random.Next(1, 4); f > 0; f--)
            {
                var field = own.Length > 0 && random.Next(5) > 0 ? own[random.Next(own.Length)] : fields[random.Next(fields.Length)];
                request[field] = values[random.Next(values.Length)]?.DeepClone();
            }

            var kind = random.Next(10);
            string? origin = kind == 9 || random.Next(6) == 0 ? origins[random.Next(origins.Length)] : null;
            string description;
            (HttpStatusCode Status, JsonObject? Body, HttpResponseMessage Response) result;
            if (method == "GET")
            {
                // URLs over 8,192 characters get the API's JSON 414 (StrictRequestTests); keep GETs under it so the values reach the handlers.
                foreach (var key in request.Where(p => p.Value?.ToJsonString().Length > 1000).Select(p => p.Key).ToList())
                {
                    request[key] = new string('q', 1000);
                }

                static IEnumerable<string> Texts(JsonNode? value) => value switch
                {
                    null => [""],
                    JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
                    JsonArray a when a.All(e => e is JsonValue) => a.Select(e => e is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : e!.ToJsonString()),
                    _ => [value.ToJsonString()],
                };
                var query = string.Join("&", request.SelectMany(p => Texts(p.Value).Select(t => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(t))));
                description = $"GET {path}?{(query.Length > 200 ? query[..200] : query)}";
                result = await Send(HttpMethod.Get, path + "?" + query, origin: origin, prefix: prefix);
            }
            else
            {
                var body = kind == 7 ? malformed[random.Next(malformed.Length)] : request.ToJsonString();
                var contentType = kind == 8 ? contentTypes[random.Next(2, contentTypes.Length)] : contentTypes[random.Next(2)];
                var query = kind == 6 ? "?experiment_id=" + experimentId + "&run_id=" + runId + "&name=hm" : "";
                description = $"{method} {path}{query} [{contentType}] origin={origin} {(body.Length > 200 ? body[..200] : body)}";
                result = await Send(new HttpMethod(method), path + query, body, contentType, origin, prefix);
            }

            var status = (int)result.Status;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (status >= 500)
            {
                failures.Add($"{status} for {description}: {result.Body?.ToJsonString()}");
            }
            else if (status >= 400 && (result.Body?["error_code"] is not JsonValue code || code.GetValueKind() != JsonValueKind.String
                || result.Body["message"] is not JsonValue message || message.GetValueKind() != JsonValueKind.String))
            {
                failures.Add($"{status} not in MLflow's error shape for {description}");
            }

            result.Response.Dispose();
        }

        output.WriteLine($"{Count} hostile requests; statuses: " + string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} bad answers of {Count} ({string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}):\n" + string.Join("\n", failures.Take(20)));

        // Wrong-type scalars for every field of every endpoint are 400, never coerced into a 200.
        static JsonNode?[] WrongTypes(string field, string path) => field switch
        {
            "max_results" or "start_time" or "end_time" or "timestamp" or "step" => ["abc", true, 1.5, new JsonObject(), new JsonArray(1)],
            "value" when path == "runs/log-metric" => [true, "abc", new JsonObject(), new JsonArray()],
            "tags" or "params" or "metrics" => ["x", 1, true, new JsonObject()],
            "experiment_ids" or "order_by" => [1, true, new JsonObject()],
            _ => [true, false, 12, 1.5, new JsonObject(), new JsonArray("a")],
        };
        var wrongTypeAnswers = 0;
        foreach (var (method, path) in routes.Where(r => r.Method != "GET"))
        {
            foreach (var field in FieldsOf(path))
            {
                foreach (var wrong in WrongTypes(field, path))
                {
                    var request = new JsonObject();
                    foreach (var own in FieldsOf(path))
                    {
                        request[own] = valid[own]?.DeepClone();
                    }

                    request[field] = wrong?.DeepClone();
                    var answer = await Send(new HttpMethod(method), path, request.ToJsonString());
                    wrongTypeAnswers++;
                    if (answer.Status != HttpStatusCode.BadRequest || answer.Body?["error_code"]?.GetValue<string>() != MlflowErrorCodes.InvalidParameterValue
                        || answer.Body["message"]?.GetValue<string>().Contains($"'{field}", StringComparison.Ordinal) != true)
                    {
                        failures.Add($"{(int)answer.Status} for wrong type {method} {path} {request.ToJsonString()}: {answer.Body?.ToJsonString()}");
                    }

                    answer.Response.Dispose();
                }
            }
        }

        foreach (var path in routes.Where(r => r.Method == "GET").Select(r => r.Path).Distinct().Where(p => FieldsOf(p).Contains("max_results")))
        {
            foreach (var wrong in new[] { "abc", "1.5", "true", "4294967297", "2147483649", "-1", "0" })
            {
                var answer = await Send(HttpMethod.Get, path + "?max_results=" + wrong);
                wrongTypeAnswers++;
                if (answer.Status != HttpStatusCode.BadRequest || answer.Body?["message"]?.GetValue<string>().Contains("'max_results'", StringComparison.Ordinal) != true)
                {
                    failures.Add($"{(int)answer.Status} for GET {path}?max_results={wrong}: {answer.Body?.ToJsonString()}");
                }

                answer.Response.Dispose();
            }
        }

        output.WriteLine($"{wrongTypeAnswers} wrong-type requests");
        Assert.True(failures.Count == 0, $"{failures.Count} bad answers to wrong-type requests:\n" + string.Join("\n", failures.Take(20)));

        // Still alive, and the data the hostile requests could not touch is intact.
        Assert.Equal("OK", await _http.GetStringAsync(_server.Uri + "/health"));
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "runs/get?run_id=" + runId)).Status);
        var after = await CreateExperiment("after");
        Assert.Equal("after", (await Send(HttpMethod.Get, "experiments/get?experiment_id=" + after)).Body!["experiment"]!["name"]!.GetValue<string>());
    }
}
