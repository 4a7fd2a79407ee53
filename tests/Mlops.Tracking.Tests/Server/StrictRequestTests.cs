using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Tracking.Server;

namespace Mlops.Tracking.Tests.Server;

/// <summary>
/// MLflow's strictness on the wire: wrong JSON types, control characters in names, traversal in locations and
/// sources, over-long run names and user ids, max_results beyond 32 bits or MLflow's maxima, over-limit filters and
/// over-long URLs all get a 400 (or 414) in MLflow's error shape naming the field, and change nothing.
/// </summary>
public sealed class StrictRequestTests : IAsyncLifetime
{
    private ServerHarness _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await ServerHarness.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonObject? Body)> Send(HttpMethod method, string endpoint, string? body = null)
    {
        using var request = new HttpRequestMessage(method, _server.Uri + "/api/2.0/mlflow/" + endpoint);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject);
    }

    private Task<(HttpStatusCode Status, JsonObject? Body)> Post(string endpoint, object body) =>
        Send(HttpMethod.Post, endpoint, body as string ?? JsonSerializer.Serialize(body));

    private static void AssertInvalid((HttpStatusCode Status, JsonObject? Body) result, params string[] mentions)
    {
        Assert.True(result.Status == HttpStatusCode.BadRequest, $"expected 400, got {(int)result.Status}: {result.Body?.ToJsonString()}");
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, result.Body!["error_code"]!.GetValue<string>());
        var message = result.Body["message"]!.GetValue<string>();
        foreach (var mention in mentions)
        {
            Assert.Contains(mention, message, StringComparison.Ordinal);
        }
    }

    private async Task<(string ExperimentId, string RunId, string ArtifactUri)> NewRun()
    {
        var experiment = (await Post("experiments/create", new { name = "e" + Guid.NewGuid().ToString("N") })).Body!["experiment_id"]!.GetValue<string>();
        var run = (await Post("runs/create", new { experiment_id = experiment })).Body!["run"]!["info"]!;
        return (experiment, run["run_id"]!.GetValue<string>(), run["artifact_uri"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_boolean_name_is_refused_not_coerced_into_an_experiment_named_true()
    {
        AssertInvalid(await Post("experiments/create", "{\"name\": true}"), "'name'", "expected a string");
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, "experiments/get-by-name?experiment_name=true")).Status);
    }

    public static TheoryData<string, string, string> WrongTypes => new()
    {
        { "experiments/create", "{\"name\": 12}", "name" },
        { "experiments/create", "{\"name\": \"x\", \"artifact_location\": {}}", "artifact_location" },
        { "experiments/update", "{\"experiment_id\": \"0\", \"new_name\": [\"a\"]}", "new_name" },
        { "experiments/search", "{\"max_results\": \"ten\"}", "max_results" },
        { "experiments/search", "{\"max_results\": true}", "max_results" },
        { "experiments/search", "{\"max_results\": 1.5}", "max_results" },
        { "experiments/search", "{\"filter\": 3}", "filter" },
        { "experiments/search", "{\"order_by\": {\"a\": 1}}", "order_by" },
        { "runs/create", "{\"experiment_id\": \"0\", \"start_time\": \"soon\"}", "start_time" },
        { "runs/create", "{\"experiment_id\": \"0\", \"run_name\": false}", "run_name" },
        { "runs/create", "{\"experiment_id\": \"0\", \"user_id\": 7}", "user_id" },
        { "runs/create", "{\"experiment_id\": \"0\", \"tags\": {\"key\": \"k\"}}", "tags" },
        { "runs/create", "{\"experiment_id\": \"0\", \"tags\": [{\"key\": 1, \"value\": \"v\"}]}", "tags[0].key" },
        { "runs/search", "{\"experiment_ids\": \"0\", \"run_view_type\": 1}", "run_view_type" },
        { "runs/search", "{\"experiment_ids\": 0}", "experiment_ids" },
        { "runs/log-batch", "{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": \"high\"}]}", "metrics[0].value" },
        { "runs/log-batch", "{\"run_id\": \"r\", \"metrics\": [{\"key\": \"m\", \"value\": 1, \"step\": true}]}", "metrics[0].step" },
        { "runs/log-batch", "{\"run_id\": \"r\", \"params\": [{\"key\": \"p\", \"value\": 3}]}", "params[0].value" },
        { "runs/log-metric", "{\"run_id\": \"r\", \"key\": \"m\", \"value\": true}", "value" },
        { "runs/log-metric", "{\"run_id\": \"r\", \"key\": \"m\", \"value\": 1, \"timestamp\": {}}", "timestamp" },
        { "runs/log-parameter", "{\"run_id\": \"r\", \"key\": \"p\", \"value\": 1}", "value" },
        { "runs/set-tag", "{\"run_id\": [\"r\"], \"key\": \"t\", \"value\": \"v\"}", "run_id" },
        { "registered-models/create", "{\"name\": false}", "name" },
        { "registered-models/create", "{\"name\": \"m\", \"description\": 5}", "description" },
        { "model-versions/create", "{\"name\": \"m\", \"source\": 1}", "source" },
        { "registered-models/alias", "{\"name\": \"m\", \"alias\": \"a\", \"version\": 1}", "version" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task Wrong_json_types_are_refused_naming_the_field(string endpoint, string body, string field) =>
        AssertInvalid(await Post(endpoint, body), $"'{field}'");

    [Fact]
    public async Task Repeated_query_parameters_for_a_scalar_are_refused() =>
        AssertInvalid(await Send(HttpMethod.Get, "experiments/get?experiment_id=0&experiment_id=1"), "'experiment_id'");

    [Fact]
    public async Task Control_characters_in_names_and_keys_are_refused()
    {
        var (_, runId, _) = await NewRun();
        AssertInvalid(await Post("experiments/create", new { name = "bad\u0000name" }), "control character");
        AssertInvalid(await Post("runs/create", new { experiment_id = "0", run_name = "line\nbreak" }), "run_name");
        AssertInvalid(await Post("runs/update", new { run_id = runId, run_name = "bell\u0007" }), "run_name");
        AssertInvalid(await Post("registered-models/create", new { name = "model\u0000" }), "control characters");
        AssertInvalid(await Post("runs/log-parameter", new { run_id = runId, key = "k\u0001", value = "v" }));
        AssertInvalid(await Post("runs/set-tag", new { run_id = runId, key = "k\u001b[31m", value = "v" }));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("s3://bucket/%2e%2e/other")]
    [InlineData("s3://bucket/a/../../b")]
    [InlineData("runs:/abc/model")]
    public async Task Local_and_traversing_artifact_locations_are_refused(string location)
    {
        var name = "loc" + Guid.NewGuid().ToString("N");
        AssertInvalid(await Post("experiments/create", new { name, artifact_location = location }), "artifact_location");
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, "experiments/get-by-name?experiment_name=" + name)).Status);
    }

    [Fact]
    public async Task A_remote_artifact_location_is_accepted() =>
        Assert.Equal(HttpStatusCode.OK, (await Post("experiments/create", new { name = "remote", artifact_location = "s3://bucket/experiments/remote" })).Status);

    [Fact]
    public async Task A_local_model_source_must_lie_inside_the_artifacts_of_its_run()
    {
        var (_, runId, artifacts) = await NewRun();
        Assert.Equal(HttpStatusCode.OK, (await Post("registered-models/create", new { name = "src" })).Status);
        AssertInvalid(await Post("model-versions/create", new { name = "src", source = "/etc/passwd" }), "source", "run_id");
        AssertInvalid(await Post("model-versions/create", new { name = "src", source = "/etc/passwd", run_id = runId }), "artifact directory");
        AssertInvalid(await Post("model-versions/create", new { name = "src", source = artifacts + "/../../secret", run_id = runId }), "'..'");
        AssertInvalid(await Post("model-versions/create", new { name = "src", source = "file:///etc/passwd", run_id = runId }), "source");
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, "model-versions/get?name=src&version=1")).Status);

        Assert.Equal(HttpStatusCode.OK, (await Post("model-versions/create", new { name = "src", source = artifacts + "/model", run_id = runId })).Status);
        Assert.Equal(HttpStatusCode.OK, (await Post("model-versions/create", new { name = "src", source = $"runs:/{runId}/model" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await Post("model-versions/create", new { name = "src", source = "s3://bucket/models/m" })).Status);
    }

    [Fact]
    public async Task Huge_run_names_and_user_ids_are_refused_with_the_limit()
    {
        var (_, runId, _) = await NewRun();
        var huge = new string('n', 5_000_000);
        AssertInvalid(await Post("runs/create", new { experiment_id = "0", run_name = huge }), "run_name", "250");
        AssertInvalid(await Post("runs/create", new { experiment_id = "0", user_id = huge }), "user_id", "256");
        AssertInvalid(await Post("runs/update", new { run_id = runId, run_name = new string('n', 251) }), "run_name", "250");
        AssertInvalid(await Post("runs/set-tag", new { run_id = runId, key = "mlflow.runName", value = new string('n', 251) }), "250");
        AssertInvalid(await Post("runs/create", new { experiment_id = "0", tags = new[] { new { key = "mlflow.runName", value = new string('n', 251) } } }), "250");

        // At the limits they pass.
        Assert.Equal(HttpStatusCode.OK, (await Post("runs/create", new { experiment_id = "0", run_name = new string('n', 250), user_id = new string('u', 256) })).Status);
    }

    [Theory]
    [InlineData("runs/search", "POST", 50_000)]
    [InlineData("experiments/search", "POST", 50_000)]
    [InlineData("experiments/search", "GET", 50_000)]
    [InlineData("registered-models/search", "GET", 1000)]
    [InlineData("model-versions/search", "GET", 50_000)]
    public async Task Max_results_is_checked_as_sent_against_each_endpoints_maximum(string endpoint, string method, long maximum)
    {
        async Task<(HttpStatusCode Status, JsonObject? Body)> Search(long maxResults) => method == "GET"
            ? await Send(HttpMethod.Get, $"{endpoint}?max_results={maxResults}")
            : await Post(endpoint, $"{{\"experiment_ids\": [\"0\"], \"max_results\": {maxResults}}}");

        foreach (var wrong in new[] { 4_294_967_297L, 2_147_483_649L, maximum + 1, 0, -1 })
        {
            AssertInvalid(await Search(wrong), "max_results", wrong.ToString(System.Globalization.CultureInfo.InvariantCulture), maximum.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        AssertInvalid(method == "GET" ? await Send(HttpMethod.Get, $"{endpoint}?max_results=99999999999999999999") : await Post(endpoint, "{\"max_results\": 99999999999999999999}"), "max_results");
        Assert.Equal(HttpStatusCode.OK, (await Search(maximum)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Search(1)).Status);
    }

    [Theory]
    [InlineData("experiments/search")]
    [InlineData("runs/search")]
    public async Task Over_limit_filters_are_refused_by_every_search(string endpoint)
    {
        var clauses = string.Join(" AND ", Enumerable.Range(0, 600).Select(i => $"name = 'n{i}'"));
        var longValue = "name LIKE '%" + new string('a', 20_000) + "%'";
        foreach (var filter in new[] { clauses, longValue })
        {
            var filterText = endpoint == "runs/search" ? filter.Replace("name", "tags.t", StringComparison.Ordinal) : filter;
            AssertInvalid(await Post(endpoint, new { experiment_ids = new[] { "0" }, filter = filterText }), "'filter'", "limit");
        }
    }

    [Fact]
    public async Task Over_limit_filters_are_refused_by_the_registry_searches()
    {
        // The registry's searches are GETs, whose URLs stop at 8,192 characters: check the store the server calls.
        using var store = new Mlops.Testing.Tracking.InMemoryModelRegistryStore();
        var clauses = string.Join(" AND ", Enumerable.Range(0, 600).Select(i => $"name = 'n{i}'"));
        var error = await Assert.ThrowsAsync<MlflowException>(() => store.SearchRegisteredModelsAsync(clauses));
        Assert.Contains("limit of 500", error.Message, StringComparison.Ordinal);
        error = await Assert.ThrowsAsync<MlflowException>(() => store.SearchModelVersionsAsync("name LIKE '%" + new string('a', 20_000) + "%'"));
        Assert.Contains("limit of 10000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_over_long_url_gets_414_in_mlflows_error_shape()
    {
        var (status, body) = await Send(HttpMethod.Get, "registered-models/search?filter=" + new string('a', 20_000));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, status);
        Assert.Equal(MlflowErrorCodes.BadRequest, body!["error_code"]!.GetValue<string>());
        Assert.Contains("8192", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registry_writes_over_mlflows_limits_are_400_naming_the_field()
    {
        AssertInvalid(await Post("registered-models/create", new { name = "big", description = new string('d', 10_000_000) }), "description", "5000");
        AssertInvalid(await Post("registered-models/create", new { name = new string('n', 300) }), "256");
        Assert.Equal(HttpStatusCode.OK, (await Post("registered-models/create", new { name = "big" })).Status);
        AssertInvalid(await Post("registered-models/set-tag", new { name = "big", key = "k", value = new string('v', 5001) }), "tag value", "5000");
    }
}
