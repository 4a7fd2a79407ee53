using System.Text.Json.Nodes;
using Mlops.Tracking.Registry;
using Mlops.Tracking.Rest;

namespace Mlops.Tracking.Server;

/// <summary>MLflow's model registry endpoints: method, path, handler.</summary>
internal static class RegistryEndpoints
{
    public static IEnumerable<(string Method, string Path, Func<Handler, Task<JsonObject>> Handle)> All =>
    [
        ("POST", "registered-models/create", async h => Model(await h.Registry.CreateRegisteredModelAsync(h.Required("name"), Tags(h), h.Optional("description"), h.CancellationToken))),
        ("GET", "registered-models/get", async h => Model(await h.Registry.GetRegisteredModelAsync(h.Required("name"), h.CancellationToken))),
        ("POST", "registered-models/rename", async h => Model(await h.Registry.RenameRegisteredModelAsync(h.Required("name"), h.Required("new_name"), h.CancellationToken))),
        ("PATCH", "registered-models/update", async h => Model(await h.Registry.UpdateRegisteredModelAsync(h.Required("name"), h.Optional("description") ?? "", h.CancellationToken))),
        ("DELETE", "registered-models/delete", async h => Empty(await Do(h.Registry.DeleteRegisteredModelAsync(h.Required("name"), h.CancellationToken)))),
        ("GET", "registered-models/search", SearchModels),
        ("POST", "registered-models/set-tag", async h => Empty(await Do(h.Registry.SetRegisteredModelTagAsync(h.Required("name"), h.Required("key"), h.Optional("value") ?? "", h.CancellationToken)))),
        ("DELETE", "registered-models/delete-tag", async h => Empty(await Do(h.Registry.DeleteRegisteredModelTagAsync(h.Required("name"), h.Required("key"), h.CancellationToken)))),
        ("POST", "registered-models/alias", async h => Empty(await Do(h.Registry.SetRegisteredModelAliasAsync(h.Required("name"), h.Required("alias"), h.Required("version"), h.CancellationToken)))),
        ("DELETE", "registered-models/alias", async h => Empty(await Do(h.Registry.DeleteRegisteredModelAliasAsync(h.Required("name"), h.Required("alias"), h.CancellationToken)))),
        ("GET", "registered-models/alias", async h => Version(await h.Registry.GetModelVersionByAliasAsync(h.Required("name"), h.Required("alias"), h.CancellationToken))),
        ("POST", "model-versions/create", CreateVersion),
        ("GET", "model-versions/get", async h => Version(await h.Registry.GetModelVersionAsync(h.Required("name"), h.Required("version"), h.CancellationToken))),
        ("PATCH", "model-versions/update", async h => Version(await h.Registry.UpdateModelVersionAsync(h.Required("name"), h.Required("version"), h.Optional("description") ?? "", h.CancellationToken))),
        ("DELETE", "model-versions/delete", async h => Empty(await Do(h.Registry.DeleteModelVersionAsync(h.Required("name"), h.Required("version"), h.CancellationToken)))),
        ("GET", "model-versions/search", SearchVersions),
        ("POST", "model-versions/set-tag", async h => Empty(await Do(h.Registry.SetModelVersionTagAsync(h.Required("name"), h.Required("version"), h.Required("key"), h.Optional("value") ?? "", h.CancellationToken)))),
        ("DELETE", "model-versions/delete-tag", async h => Empty(await Do(h.Registry.DeleteModelVersionTagAsync(h.Required("name"), h.Required("version"), h.Required("key"), h.CancellationToken)))),
    ];

    /// <summary>MLflow's <c>SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD</c>.</summary>
    private const int MaxRegisteredModelsPerPage = 1000;

    /// <summary>MLflow's <c>SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD</c> is 200,000; the stores page at most <see cref="TrackingLimits.MaxResultsPerPage"/>.</summary>
    private const int MaxModelVersionsPerPage = TrackingLimits.MaxResultsPerPage;

    private static async Task<bool> Do(Task task)
    {
        await task.ConfigureAwait(false);
        return true;
    }

    private static JsonObject Empty(bool _) => [];

    private static Dictionary<string, string> Tags(Handler h) => MlflowJson.ReadTags(h.Request["tags"]);

    private static JsonObject Model(RegisteredModel model) => new() { ["registered_model"] = MlflowJson.RegisteredModel(model) };

    private static JsonObject Version(ModelVersion version) => new() { ["model_version"] = MlflowJson.ModelVersion(version) };

    private static async Task<JsonObject> CreateVersion(Handler h)
    {
        var name = h.Required("name");
        var source = h.Required("source");
        await MlflowLocationRules.CheckSourceAsync(h.Request, h.Tracking, h.CancellationToken).ConfigureAwait(false);
        return Version(await h.Registry.CreateModelVersionAsync(name, source, h.Optional("run_id") is { Length: > 0 } run ? run : null, Tags(h), h.Optional("description"), h.CancellationToken).ConfigureAwait(false));
    }

    private static async Task<JsonObject> SearchModels(Handler h)
    {
        var page = await h.Registry.SearchRegisteredModelsAsync(h.Optional("filter"), h.MaxResults(100, MaxRegisteredModelsPerPage), h.OrderBy(), h.Optional("page_token"), h.CancellationToken).ConfigureAwait(false);
        var response = new JsonObject { ["registered_models"] = new JsonArray(page.Select(m => (JsonNode)MlflowJson.RegisteredModel(m)).ToArray()) };
        if (page.NextPageToken is not null)
        {
            response["next_page_token"] = page.NextPageToken;
        }

        return response;
    }

    private static async Task<JsonObject> SearchVersions(Handler h)
    {
        var page = await h.Registry.SearchModelVersionsAsync(h.Optional("filter"), h.MaxResults(10000, MaxModelVersionsPerPage), h.OrderBy(), h.Optional("page_token"), h.CancellationToken).ConfigureAwait(false);
        var response = new JsonObject { ["model_versions"] = new JsonArray(page.Select(v => (JsonNode)MlflowJson.ModelVersion(v)).ToArray()) };
        if (page.NextPageToken is not null)
        {
            response["next_page_token"] = page.NextPageToken;
        }

        return response;
    }
}
