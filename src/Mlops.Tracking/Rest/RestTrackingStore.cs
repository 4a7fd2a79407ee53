using System.Text.Json.Nodes;
using Mlops.Tracking.Stores;

namespace Mlops.Tracking.Rest;

/// <summary>
/// A tracking store that talks to an MLflow tracking server (MLflow's own or <c>Mlops.Tracking.Server</c>) over its
/// REST API 2.0: <c>http(s)://host:port</c>. Log batches larger than MLflow's limits are split, transient failures are
/// retried with Polly, and search returns pages whose tokens the server issued.
/// </summary>
public sealed class RestTrackingStore : ITrackingStore, IDisposable
{
    private readonly MlflowHttpClient _client;

    /// <summary>Creates a store for a server.</summary>
    /// <param name="trackingUri">The server, such as <c>http://127.0.0.1:5000</c>.</param>
    /// <param name="httpClient">The HTTP client to use (for custom handlers or auth); one is created if null.</param>
    /// <param name="maxRetries">Retries of a transient failure.</param>
    /// <param name="timeProvider">The clock for retry delays.</param>
    public RestTrackingStore(string trackingUri, HttpClient? httpClient = null, int maxRetries = 5, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trackingUri);
        _client = new MlflowHttpClient(new Uri(trackingUri), httpClient, maxRetries, timeProvider: timeProvider);
        DefaultArtifactRoot = "";
    }

    internal RestTrackingStore(MlflowHttpClient client)
    {
        _client = client;
        DefaultArtifactRoot = "";
    }

    /// <summary>Not known to a REST client: the server decides where experiments put artifacts.</summary>
    public string DefaultArtifactRoot { get; }

    internal MlflowHttpClient Http => _client;

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();

    /// <inheritdoc/>
    public async Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["name"] = name, ["tags"] = MlflowJson.Tags((tags ?? []).Select(t => KeyValuePair.Create(t.Key, t.Value))) };
        if (artifactLocation is not null)
        {
            body["artifact_location"] = artifactLocation;
        }

        var response = await _client.PostAsync("experiments/create", body, cancellationToken).ConfigureAwait(false);
        return MlflowJson.Required(response, "experiment_id");
    }

    /// <inheritdoc/>
    public async Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        var response = await _client.GetAsync("experiments/get", [KeyValuePair.Create("experiment_id", (string?)experimentId)], cancellationToken).ConfigureAwait(false);
        return MlflowJson.ReadExperiment(response["experiment"]!);
    }

    /// <inheritdoc/>
    public async Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _client.GetAsync("experiments/get-by-name", [KeyValuePair.Create("experiment_name", (string?)name)], cancellationToken).ConfigureAwait(false);
            return MlflowJson.ReadExperiment(response["experiment"]!);
        }
        catch (MlflowException e) when (e.ErrorCode == MlflowErrorCodes.ResourceDoesNotExist)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task<PagedList<Experiment>> SearchExperimentsAsync(ViewType viewType = ViewType.ActiveOnly, int maxResults = 1000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, string? filter = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["max_results"] = maxResults,
            ["view_type"] = viewType.ToMlflow(),
            ["order_by"] = new JsonArray((orderBy ?? []).Select(o => (JsonNode)o).ToArray()),
        };
        if (pageToken is not null)
        {
            body["page_token"] = pageToken;
        }

        if (!string.IsNullOrWhiteSpace(filter))
        {
            body["filter"] = filter;
        }

        var response = await _client.PostAsync("experiments/search", body, cancellationToken).ConfigureAwait(false);
        var items = response["experiments"]?.AsArray().Select(e => MlflowJson.ReadExperiment(e!)).ToList() ?? [];
        return new PagedList<Experiment>(items, NextToken(response));
    }

    /// <inheritdoc/>
    public Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default) =>
        _client.PostAsync("experiments/delete", new JsonObject { ["experiment_id"] = experimentId }, cancellationToken);

    /// <inheritdoc/>
    public Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default) =>
        _client.PostAsync("experiments/restore", new JsonObject { ["experiment_id"] = experimentId }, cancellationToken);

    /// <inheritdoc/>
    public Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default) =>
        _client.PostAsync("experiments/update", new JsonObject { ["experiment_id"] = experimentId, ["new_name"] = newName }, cancellationToken);

    /// <inheritdoc/>
    public Task SetExperimentTagAsync(string experimentId, RunTag tag, CancellationToken cancellationToken = default) =>
        _client.PostAsync("experiments/set-experiment-tag", new JsonObject { ["experiment_id"] = experimentId, ["key"] = tag.Key, ["value"] = tag.Value }, cancellationToken);

    /// <inheritdoc/>
    public async Task<Run> CreateRunAsync(string experimentId, string? userId, long startTime, string? runName, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["experiment_id"] = experimentId,
            ["start_time"] = startTime,
            ["tags"] = MlflowJson.Tags((tags ?? []).Select(t => KeyValuePair.Create(t.Key, t.Value))),
        };
        if (userId is not null)
        {
            body["user_id"] = userId;
        }

        if (runName is not null)
        {
            body["run_name"] = runName;
        }

        var response = await _client.PostAsync("runs/create", body, cancellationToken).ConfigureAwait(false);
        return MlflowJson.ReadRun(response["run"]!);
    }

    /// <inheritdoc/>
    public async Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var response = await _client.GetAsync("runs/get", [KeyValuePair.Create("run_id", (string?)runId)], cancellationToken).ConfigureAwait(false);
        return MlflowJson.ReadRun(response["run"]!);
    }

    /// <inheritdoc/>
    public async Task<RunInfo> UpdateRunInfoAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["run_id"] = runId, ["run_uuid"] = runId };
        if (status is { } s)
        {
            body["status"] = s.ToMlflow();
        }

        if (endTime is { } end)
        {
            body["end_time"] = end;
        }

        if (runName is not null)
        {
            body["run_name"] = runName;
        }

        var response = await _client.PostAsync("runs/update", body, cancellationToken).ConfigureAwait(false);
        return MlflowJson.ReadRunInfo(response["run_info"]!);
    }

    /// <inheritdoc/>
    public Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default) =>
        _client.PostAsync("runs/delete", new JsonObject { ["run_id"] = runId }, cancellationToken);

    /// <inheritdoc/>
    public Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default) =>
        _client.PostAsync("runs/restore", new JsonObject { ["run_id"] = runId }, cancellationToken);

    /// <inheritdoc/>
    public async Task LogBatchAsync(string runId, IReadOnlyList<RunMetric>? metrics, IReadOnlyList<Param>? parameters, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default)
    {
        // Split at MLflow's limits, so a caller may pass any number and MLflow's server accepts each request.
        foreach (var (m, p, t) in BatchSplitter.Split(metrics ?? [], parameters ?? [], tags ?? []))
        {
            var body = new JsonObject
            {
                ["run_id"] = runId,
                ["metrics"] = new JsonArray(m.Select(x => (JsonNode)MlflowJson.Metric(x)).ToArray()),
                ["params"] = MlflowJson.Tags(p.Select(x => KeyValuePair.Create(x.Key, x.Value))),
                ["tags"] = MlflowJson.Tags(t.Select(x => KeyValuePair.Create(x.Key, x.Value))),
            };
            await _client.PostAsync("runs/log-batch", body, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default) =>
        _client.PostAsync("runs/delete-tag", new JsonObject { ["run_id"] = runId, ["key"] = key }, cancellationToken);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<RunMetric>> GetMetricHistoryAsync(string runId, string metricKey, CancellationToken cancellationToken = default)
    {
        var metrics = new List<RunMetric>();
        string? token = null;
        do
        {
            var response = await _client.GetAsync("metrics/get-history",
                [KeyValuePair.Create("run_id", (string?)runId), KeyValuePair.Create("metric_key", (string?)metricKey), KeyValuePair.Create("page_token", token)],
                cancellationToken).ConfigureAwait(false);
            metrics.AddRange(MlflowJson.ReadMetrics(response["metrics"]));
            token = NextToken(response);
        }
        while (token is not null);

        return metrics;
    }

    /// <inheritdoc/>
    public async Task<PagedList<Run>> SearchRunsAsync(IReadOnlyList<string> experimentIds, string? filter = null, ViewType viewType = ViewType.ActiveOnly, int maxResults = TrackingLimits.DefaultSearchRunsResults, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["experiment_ids"] = new JsonArray(experimentIds.Select(e => (JsonNode)e).ToArray()),
            ["filter"] = filter ?? "",
            ["run_view_type"] = viewType.ToMlflow(),
            ["max_results"] = maxResults,
            ["order_by"] = new JsonArray((orderBy ?? []).Select(o => (JsonNode)o).ToArray()),
        };
        if (pageToken is not null)
        {
            body["page_token"] = pageToken;
        }

        var response = await _client.PostAsync("runs/search", body, cancellationToken).ConfigureAwait(false);
        var runs = response["runs"]?.AsArray().Select(r => MlflowJson.ReadRun(r!)).ToList() ?? [];
        return new PagedList<Run>(runs, NextToken(response));
    }

    internal static string? NextToken(JsonObject response) =>
        response["next_page_token"]?.GetValue<string>() is { Length: > 0 } token ? token : null;
}
