using System.Text.Json.Nodes;
using Mlops.Tracking.Rest;

namespace Mlops.Tracking.Server;

/// <summary>MLflow's tracking endpoints (experiments, runs, metrics): method, path, handler.</summary>
internal static class TrackingEndpoints
{
    public static IEnumerable<(string Method, string Path, Func<Handler, Task<JsonObject>> Handle)> All =>
    [
        ("POST", "experiments/create", CreateExperiment),
        ("GET", "experiments/get", async h => new JsonObject { ["experiment"] = MlflowJson.Experiment(await h.Tracking.GetExperimentAsync(h.Required("experiment_id"), h.CancellationToken)) }),
        ("GET", "experiments/get-by-name", GetExperimentByName),
        ("POST", "experiments/search", SearchExperiments),
        ("GET", "experiments/search", SearchExperiments),
        ("POST", "experiments/delete", async h => Empty(await Do(h.Tracking.DeleteExperimentAsync(h.Required("experiment_id"), h.CancellationToken)))),
        ("POST", "experiments/restore", async h => Empty(await Do(h.Tracking.RestoreExperimentAsync(h.Required("experiment_id"), h.CancellationToken)))),
        ("POST", "experiments/update", async h => Empty(await Do(h.Tracking.RenameExperimentAsync(h.Required("experiment_id"), h.Required("new_name"), h.CancellationToken)))),
        ("POST", "experiments/set-experiment-tag", async h => Empty(await Do(h.Tracking.SetExperimentTagAsync(h.Required("experiment_id"), new RunTag(h.Required("key"), h.Optional("value") ?? ""), h.CancellationToken)))),
        ("POST", "runs/create", CreateRun),
        ("GET", "runs/get", async h => new JsonObject { ["run"] = MlflowJson.Run(await h.Tracking.GetRunAsync(RunId(h), h.CancellationToken)) }),
        ("POST", "runs/update", UpdateRun),
        ("POST", "runs/delete", async h => Empty(await Do(h.Tracking.DeleteRunAsync(RunId(h), h.CancellationToken)))),
        ("POST", "runs/restore", async h => Empty(await Do(h.Tracking.RestoreRunAsync(RunId(h), h.CancellationToken)))),
        ("POST", "runs/log-metric", LogMetric),
        ("POST", "runs/log-parameter", async h => Empty(await Do(h.Tracking.LogBatchAsync(RunId(h), null, [new Param(h.Required("key"), h.Optional("value") ?? "")], null, h.CancellationToken)))),
        ("POST", "runs/set-tag", async h => Empty(await Do(h.Tracking.LogBatchAsync(RunId(h), null, null, [new RunTag(h.Required("key"), h.Optional("value") ?? "")], h.CancellationToken)))),
        ("POST", "runs/delete-tag", async h => Empty(await Do(h.Tracking.DeleteTagAsync(RunId(h), h.Required("key"), h.CancellationToken)))),
        ("POST", "runs/log-batch", LogBatch),
        ("POST", "runs/search", SearchRuns),
        ("GET", "metrics/get-history", GetMetricHistory),
    ];

    private static async Task<bool> Do(Task task)
    {
        await task.ConfigureAwait(false);
        return true;
    }

    private static JsonObject Empty(bool _) => [];

    // MLflow's older clients send run_uuid; newer ones run_id.
    private static string RunId(Handler h) => h.Optional("run_id") is { Length: > 0 } id ? id : h.Required("run_uuid");

    private static async Task<JsonObject> CreateExperiment(Handler h)
    {
        var tags = MlflowJson.ReadTags(h.Request["tags"]).Select(t => new RunTag(t.Key, t.Value)).ToList();
        MlflowLocationRules.CheckArtifactLocation(h.Optional("artifact_location"));
        var id = await h.Tracking.CreateExperimentAsync(h.Required("name"), h.Optional("artifact_location") is { Length: > 0 } location ? location : null, tags, h.CancellationToken).ConfigureAwait(false);
        return new JsonObject { ["experiment_id"] = id };
    }

    private static async Task<JsonObject> GetExperimentByName(Handler h)
    {
        var name = h.Required("experiment_name");
        var experiment = await h.Tracking.GetExperimentByNameAsync(name, h.CancellationToken).ConfigureAwait(false)
            ?? throw new MlflowException(MlflowErrorCodes.ResourceDoesNotExist, $"Could not find experiment with name '{name}'");
        return new JsonObject { ["experiment"] = MlflowJson.Experiment(experiment) };
    }

    private static async Task<JsonObject> SearchExperiments(Handler h)
    {
        var viewType = h.Optional("view_type") is { Length: > 0 } view ? TrackingNames.ParseViewType(view) : ViewType.ActiveOnly;
        var page = await h.Tracking.SearchExperimentsAsync(viewType, h.MaxResults(1000, TrackingLimits.MaxResultsPerPage), h.OrderBy(), h.Optional("page_token"), h.Optional("filter"), h.CancellationToken).ConfigureAwait(false);
        var response = new JsonObject { ["experiments"] = new JsonArray(page.Select(e => (JsonNode)MlflowJson.Experiment(e)).ToArray()) };
        if (page.NextPageToken is not null)
        {
            response["next_page_token"] = page.NextPageToken;
        }

        return response;
    }

    private static async Task<JsonObject> CreateRun(Handler h)
    {
        var tags = MlflowJson.ReadTags(h.Request["tags"]).Select(t => new RunTag(t.Key, t.Value)).ToList();
        var startTime = h.Long("start_time") ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var run = await h.Tracking.CreateRunAsync(h.Optional("experiment_id") is { Length: > 0 } id ? id : "0", h.Optional("user_id"), startTime,
            h.Optional("run_name") is { Length: > 0 } name ? name : null, tags, h.CancellationToken).ConfigureAwait(false);
        return new JsonObject { ["run"] = MlflowJson.Run(run) };
    }

    private static async Task<JsonObject> UpdateRun(Handler h)
    {
        var status = h.Optional("status") is { Length: > 0 } s ? TrackingNames.ParseRunStatus(s) : (RunStatus?)null;
        var info = await h.Tracking.UpdateRunInfoAsync(RunId(h), status, h.Long("end_time"), h.Optional("run_name") is { Length: > 0 } name ? name : null, h.CancellationToken).ConfigureAwait(false);
        return new JsonObject { ["run_info"] = MlflowJson.RunInfo(info) };
    }

    private static async Task<JsonObject> LogMetric(Handler h)
    {
        var metric = new RunMetric(h.Required("key"), MlflowJson.ReadDouble(h.Request["value"]), h.Long("timestamp") ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), h.Long("step") ?? 0);
        await h.Tracking.LogBatchAsync(RunId(h), [metric], null, null, h.CancellationToken).ConfigureAwait(false);
        return [];
    }

    private static async Task<JsonObject> LogBatch(Handler h)
    {
        // The store refuses batches over MLflow's limits (1000 metrics, 100 params, 100 tags) with INVALID_PARAMETER_VALUE.
        var metrics = MlflowJson.ReadMetrics(h.Request["metrics"]);
        var parameters = (h.Request["params"]?.AsArray() ?? []).Select(p => new Param(MlflowJson.Str(p!, "key") ?? "", MlflowJson.Str(p!, "value") ?? "")).ToList();
        var tags = (h.Request["tags"]?.AsArray() ?? []).Select(t => new RunTag(MlflowJson.Str(t!, "key") ?? "", MlflowJson.Str(t!, "value") ?? "")).ToList();
        await h.Tracking.LogBatchAsync(RunId(h), metrics, parameters, tags, h.CancellationToken).ConfigureAwait(false);
        return [];
    }

    private static async Task<JsonObject> SearchRuns(Handler h)
    {
        var viewType = h.Optional("run_view_type") is { Length: > 0 } view ? TrackingNames.ParseViewType(view) : ViewType.ActiveOnly;
        var page = await h.Tracking.SearchRunsAsync(MlflowJson.Strings(h.Request, "experiment_ids"), h.Optional("filter"), viewType,
            h.MaxResults(TrackingLimits.DefaultSearchRunsResults, TrackingLimits.MaxResultsPerPage), h.OrderBy(), h.Optional("page_token"), h.CancellationToken).ConfigureAwait(false);
        var response = new JsonObject { ["runs"] = new JsonArray(page.Select(r => (JsonNode)MlflowJson.Run(r)).ToArray()) };
        if (page.NextPageToken is not null)
        {
            response["next_page_token"] = page.NextPageToken;
        }

        return response;
    }

    private static async Task<JsonObject> GetMetricHistory(Handler h)
    {
        var history = await h.Tracking.GetMetricHistoryAsync(RunId(h), h.Required("metric_key"), h.CancellationToken).ConfigureAwait(false);
        return new JsonObject { ["metrics"] = new JsonArray(history.Select(m => (JsonNode)MlflowJson.Metric(m)).ToArray()) };
    }
}
