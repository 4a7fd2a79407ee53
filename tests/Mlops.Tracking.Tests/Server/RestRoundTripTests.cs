using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Mlops.MLNet;
using Mlops.Tracking.Models;
using Mlops.Tracking.Rest;
using Mlops.Tracking.Tests.Search;
using Mlops.Tracking.Tests.Logging;

namespace Mlops.Tracking.Tests.Server;

/// <summary>The search contract run through the REST store against the server (and so through MLflow's JSON).</summary>
public sealed class RestSearchTests : SearchContractTests
{
    public RestSearchTests()
        : base(_ => RestStoreOverServer.Start())
    {
    }
}

/// <summary>A REST store whose dispose also stops the server it talks to.</summary>
public sealed class RestStoreOverServer : DelegatingStore, IDisposable
{
    private readonly ServerHarness _server;
    private readonly RestTrackingStore _store;

    private RestStoreOverServer(ServerHarness server, RestTrackingStore store)
        : base(store)
    {
        _server = server;
        _store = store;
    }

    public static RestStoreOverServer Start()
    {
        var server = ServerHarness.StartAsync().GetAwaiter().GetResult();
        return new RestStoreOverServer(server, new RestTrackingStore(server.Uri));
    }

    public void Dispose()
    {
        _store.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

public sealed class RestRoundTripTests : IAsyncLifetime
{
    private ServerHarness _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await ServerHarness.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> Call(HttpMethod method, string endpoint, object? body = null)
    {
        using var request = new HttpRequestMessage(method, $"{_server.Uri}/api/2.0/mlflow/{endpoint}");
        if (body is not null)
        {
            request.Content = new StringContent(body as string ?? System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    [Fact]
    public async Task Responses_have_mlflows_documented_shapes()
    {
        var (status, created) = await Call(HttpMethod.Post, "experiments/create", new { name = "shapes", tags = new[] { new { key = "team", value = "x" } } });
        Assert.Equal(HttpStatusCode.OK, status);
        var experimentId = created["experiment_id"]!.GetValue<string>();

        var (_, experiment) = await Call(HttpMethod.Get, $"experiments/get?experiment_id={experimentId}");
        var e = experiment["experiment"]!;
        Assert.Equal("shapes", e["name"]!.GetValue<string>());
        Assert.Equal("active", e["lifecycle_stage"]!.GetValue<string>());
        Assert.Equal("team", e["tags"]![0]!["key"]!.GetValue<string>());
        Assert.True(e["creation_time"]!.GetValue<long>() > 0);

        var (_, runResponse) = await Call(HttpMethod.Post, "runs/create", new { experiment_id = experimentId, run_name = "r", start_time = 1000, tags = new[] { new { key = "k", value = "v" } } });
        var info = runResponse["run"]!["info"]!;
        var runId = info["run_id"]!.GetValue<string>();
        Assert.Equal(runId, info["run_uuid"]!.GetValue<string>());
        Assert.Equal("RUNNING", info["status"]!.GetValue<string>());
        Assert.Equal(1000, info["start_time"]!.GetValue<long>());
        Assert.Null(info["end_time"]);
        Assert.EndsWith("/artifacts", info["artifact_uri"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await Call(HttpMethod.Post, "runs/log-metric", new { run_id = runId, key = "m", value = 0.5, timestamp = 5, step = 1 })).Status);
        Assert.Equal(HttpStatusCode.OK, (await Call(HttpMethod.Post, "runs/log-metric", "{\"run_id\":\"" + runId + "\",\"key\":\"nan\",\"value\":\"NaN\",\"timestamp\":\"6\"}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Call(HttpMethod.Post, "runs/log-parameter", new { run_uuid = runId, key = "p", value = "1" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await Call(HttpMethod.Post, "runs/set-tag", new { run_id = runId, key = "t", value = "2" })).Status);
        var (_, updated) = await Call(HttpMethod.Post, "runs/update", new { run_id = runId, status = "FINISHED", end_time = 2000 });
        Assert.Equal("FINISHED", updated["run_info"]!["status"]!.GetValue<string>());

        var (_, got) = await Call(HttpMethod.Get, $"runs/get?run_id={runId}");
        var data = got["run"]!["data"]!;
        Assert.Equal("NaN", data["metrics"]!.AsArray().Single(m => m!["key"]!.GetValue<string>() == "nan")!["value"]!.GetValue<string>());
        Assert.Equal(0.5, data["metrics"]!.AsArray().Single(m => m!["key"]!.GetValue<string>() == "m")!["value"]!.GetValue<double>());
        Assert.Equal("1", data["params"]![0]!["value"]!.GetValue<string>());

        var (_, history) = await Call(HttpMethod.Get, $"metrics/get-history?run_id={runId}&metric_key=m");
        Assert.Equal(1, history["metrics"]![0]!["step"]!.GetValue<long>());

        var (_, search) = await Call(HttpMethod.Post, "runs/search", new { experiment_ids = new[] { experimentId }, filter = "metrics.m > 0.1", max_results = 10, order_by = new[] { "metrics.m DESC" } });
        Assert.Single(search["runs"]!.AsArray());
        Assert.Null(search["next_page_token"]);
    }

    [Fact]
    public async Task Errors_carry_mlflows_codes_and_statuses()
    {
        var (status, body) = await Call(HttpMethod.Get, "runs/get?run_id=0123456789abcdef0123456789abcdef");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", body["error_code"]!.GetValue<string>());

        (status, body) = await Call(HttpMethod.Post, "experiments/create", new { });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_PARAMETER_VALUE", body["error_code"]!.GetValue<string>());
        Assert.Contains("'name'", body["message"]!.GetValue<string>(), StringComparison.Ordinal);

        await Call(HttpMethod.Post, "experiments/create", new { name = "dup" });
        (status, body) = await Call(HttpMethod.Post, "experiments/create", new { name = "dup" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("RESOURCE_ALREADY_EXISTS", body["error_code"]!.GetValue<string>());

        (status, body) = await Call(HttpMethod.Post, "runs/search", new { experiment_ids = new[] { "0" }, filter = "metrics.a > 1 OR metrics.b > 2" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("OR", body["message"]!.GetValue<string>(), StringComparison.Ordinal);

        (status, body) = await Call(HttpMethod.Post, "runs/nope", new { });
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("ENDPOINT_NOT_FOUND", body["error_code"]!.GetValue<string>());

        (status, body) = await Call(HttpMethod.Post, "runs/create", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("BAD_REQUEST", body["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Server_refuses_1001_metrics_in_one_batch_and_the_client_splits_them()
    {
        var (_, run) = await Call(HttpMethod.Post, "runs/create", new { experiment_id = "0" });
        var runId = run["run"]!["info"]!["run_id"]!.GetValue<string>();
        var metrics = Enumerable.Range(0, 1001).Select(i => new { key = "m", value = (double)i, timestamp = (long)i, step = (long)i }).ToArray();
        var (status, body) = await Call(HttpMethod.Post, "runs/log-batch", new { run_id = runId, metrics });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_PARAMETER_VALUE", body["error_code"]!.GetValue<string>());
        Assert.Contains("1001", body["message"]!.GetValue<string>(), StringComparison.Ordinal);

        using var store = new RestTrackingStore(_server.Uri);
        await store.LogBatchAsync(runId, metrics.Select(m => new RunMetric(m.key, m.value, m.timestamp, m.step)).ToList(),
            Enumerable.Range(0, 250).Select(i => new Param("p" + i, "v")).ToList(), null);
        Assert.Equal(1001, (await store.GetMetricHistoryAsync(runId, "m")).Count);
        Assert.Equal(250, (await store.GetRunAsync(runId)).Data.Params.Count);
    }

    [Fact]
    public async Task Tracking_client_over_http_covers_experiments_runs_registry_and_models()
    {
        using var tracking = new TrackingClient(_server.Uri) { Flavors = ModelFlavorRegistry.Create(new MLNetFlavor()) };
        var experimentId = tracking.GetOrCreateExperiment("http");
        Assert.Equal(experimentId, tracking.GetExperimentByName("http")!.ExperimentId);
        tracking.SetExperimentTag(experimentId, "owner", "me");
        tracking.RenameExperiment(experimentId, "http2");
        Assert.Equal("me", tracking.GetExperiment(experimentId).Tags["owner"]);
        Assert.Contains(tracking.SearchExperiments(orderBy: ["name ASC"]), e => e.Name == "http2");
        Assert.Equal(["http2"], tracking.SearchExperiments(filter: "name LIKE 'http%' AND tags.owner = 'me'").Select(e => e.Name));
        Assert.Empty(tracking.SearchExperiments(filter: "tags.owner != 'me'"));
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, Assert.Throws<MlflowException>(() => tracking.SearchExperiments(filter: "colour = 'x'")).ErrorCode);

        var random = new Random(3);
        var rows = Enumerable.Range(0, 200).Select(_ => new Row { X = (float)random.NextDouble(), Y = 0 }).ToList();
        rows.ForEach(r => r.Y = (3 * r.X) + 1);
        var context = new MLContext(seed: 1);
        var data = context.Data.LoadFromEnumerable(rows);
        var model = context.Transforms.Concatenate("Features", "X").Append(context.Regression.Trainers.OnlineGradientDescent(labelColumnName: "Y", numberOfIterations: 30)).Fit(data);

        string runId;
        using (var run = tracking.StartRun("over-http", experimentId))
        {
            runId = run.RunId;
            run.LogParam("lr", 0.1);
            run.LogBatch(Enumerable.Range(0, 2500).Select(i => new RunMetric("loss", 1.0 / (i + 1), i, i)).ToList());
            run.SetTag("stage", "test");
            run.LogModel(new MLNetModel(model, data.Schema), "model", registeredModelName: "regressor");
        }

        var stored = tracking.GetRun(runId);
        Assert.Equal(RunStatus.Finished, stored.Info.Status);
        Assert.Equal(2500, tracking.GetMetricHistory(runId, "loss").Count);
        Assert.Equal("0.1", stored.Data.Params["lr"]);
        Assert.Throws<MlflowException>(() => tracking.LogParam(runId, "lr", 0.2));

        var registry = tracking.Registry;
        registry.SetRegisteredModelAlias("regressor", "champion", "1");
        Assert.Equal("1", registry.GetModelVersionByAlias("regressor", "champion").Version);
        Assert.Equal(runId, registry.SearchModelVersions("name = 'regressor'")[0].RunId);
        Assert.Single(registry.SearchRegisteredModels("name LIKE 'reg%'"));
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, Assert.Throws<MlflowException>(() => registry.SetRegisteredModelAlias("regressor", "v3", "1")).ErrorCode);

        var best = tracking.SearchRuns([experimentId], "metrics.loss < 0.5", orderBy: ["metrics.loss ASC"])[0];
        Assert.Equal(runId, best.Info.RunId);
        using var loaded = tracking.LoadModel("models:/regressor@champion");
        var prediction = ((Mlops.Tracking.Models.IColumnPredictor)loaded).Predict(new Dictionary<string, Array> { ["X"] = new[] { 0.5f } });
        var expected = context.Model.CreatePredictionEngine<Row, Score>(model).Predict(new Row { X = 0.5f }).Value;
        Assert.True(float.IsFinite(expected));
        Assert.Equal(expected, ((float[])prediction["Score"])[0], 5);

        var all = new List<string>();
        await foreach (var run in tracking.SearchAllRunsAsync([experimentId]))
        {
            all.Add(run.Info.RunId);
        }

        Assert.Equal([runId], all);
        tracking.DeleteRun(runId);
        Assert.Empty(tracking.SearchRuns([experimentId]));
        tracking.RestoreRun(runId);
        tracking.DeleteExperiment(experimentId);
        tracking.RestoreExperiment(experimentId);
    }

    [Fact]
    public async Task Transient_failures_are_retried_and_permanent_ones_are_not()
    {
        using var flaky = new FlakyHandler(failures: 2) { InnerHandler = new HttpClientHandler() };
        using var http = new HttpClient(flaky);
        using var store = new RestTrackingStore(_server.Uri, http);
        var experiment = await store.GetExperimentAsync("0");
        Assert.Equal("Default", experiment.Name);
        Assert.Equal(3, flaky.Calls);

        using var failing = new FlakyHandler(failures: 100) { InnerHandler = new HttpClientHandler() };
        using var http2 = new HttpClient(failing);
        using var store2 = new RestTrackingStore(_server.Uri, http2, maxRetries: 2);
        var error = await Assert.ThrowsAsync<MlflowException>(() => store2.GetExperimentAsync("0"));
        Assert.Equal(3, failing.Calls);
        Assert.Contains("503", error.Message, StringComparison.Ordinal);

        await Assert.ThrowsAsync<MlflowException>(() => store.GetExperimentAsync("424242"));
        Assert.Equal(4, flaky.Calls);
    }

    private sealed class Row
    {
        public float X { get; set; }

        public float Y { get; set; }
    }

    private sealed class Score
    {
        [ColumnName("Score")]
        public float Value { get; set; }
    }

    private sealed class FlakyHandler(int failures) : DelegatingHandler
    {
        public int Calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref Calls) <= failures)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("busy") });
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}

public class ServerArgumentsTests
{
    [Fact]
    public void Parses_mlflow_server_arguments_and_names_bad_ones()
    {
        var parsed = Mlops.Tracking.Server.TrackingServer.ParseArguments(["--backend-store-uri", "sqlite:///x.db", "--default-artifact-root", "/a", "--host", "0.0.0.0", "--port", "5001"]);
        Assert.Equal(("sqlite:///x.db", "/a", "0.0.0.0", 5001), (parsed.BackendStoreUri, parsed.DefaultArtifactRoot, parsed.Host, parsed.Port));
        Assert.Equal(Mlops.Tracking.Server.MlflowRestApiOptions.DefaultMaxRequestBodySize, parsed.Api.MaxRequestBodySize);
        var api = Mlops.Tracking.Server.TrackingServer.ParseArguments(["--allowed-origins", "https://a.example, https://b.example", "--max-request-body-size", "1000"]).Api;
        Assert.Equal(["https://a.example", "https://b.example"], api.AllowedOrigins);
        Assert.Equal(1000, api.MaxRequestBodySize);
        Assert.Contains("--max-request-body-size", Assert.Throws<ArgumentException>(() => Mlops.Tracking.Server.TrackingServer.ParseArguments(["--max-request-body-size", "0"])).Message, StringComparison.Ordinal);
        Assert.Contains("--bogus", Assert.Throws<ArgumentException>(() => Mlops.Tracking.Server.TrackingServer.ParseArguments(["--bogus"])).Message, StringComparison.Ordinal);
        Assert.Contains("--port", Assert.Throws<ArgumentException>(() => Mlops.Tracking.Server.TrackingServer.ParseArguments(["--port", "x"])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Mlops.Tracking.Server.TrackingServer.ParseArguments(["--port"]));
    }
}
