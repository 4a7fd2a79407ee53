using System.Globalization;
using System.Text.Json.Nodes;
using Mlops.Tracking.Registry;

namespace Mlops.Tracking.Rest;

/// <summary>The model registry of an MLflow server over its REST API 2.0 (registered models, versions, tags, aliases, search).</summary>
public sealed class RestModelRegistryStore : IModelRegistryStore, IDisposable
{
    private readonly MlflowHttpClient _client;

    /// <summary>Creates a registry client for a server such as <c>http://127.0.0.1:5000</c>.</summary>
    public RestModelRegistryStore(string trackingUri, HttpClient? httpClient = null, int maxRetries = 5, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trackingUri);
        _client = new MlflowHttpClient(new Uri(trackingUri), httpClient, maxRetries, timeProvider: timeProvider);
    }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();

    /// <inheritdoc/>
    public async Task<RegisteredModel> CreateRegisteredModelAsync(string name, IReadOnlyDictionary<string, string>? tags = null, string? description = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["name"] = name, ["tags"] = MlflowJson.Tags(tags ?? new Dictionary<string, string>()) };
        if (description is not null)
        {
            body["description"] = description;
        }

        return Model(await _client.PostAsync("registered-models/create", body, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async Task<RegisteredModel> GetRegisteredModelAsync(string name, CancellationToken cancellationToken = default) =>
        Model(await _client.GetAsync("registered-models/get", [Q("name", name)], cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<RegisteredModel> RenameRegisteredModelAsync(string name, string newName, CancellationToken cancellationToken = default) =>
        Model(await _client.PostAsync("registered-models/rename", new JsonObject { ["name"] = name, ["new_name"] = newName }, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<RegisteredModel> UpdateRegisteredModelAsync(string name, string description, CancellationToken cancellationToken = default) =>
        Model(await _client.PatchAsync("registered-models/update", new JsonObject { ["name"] = name, ["description"] = description }, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public Task DeleteRegisteredModelAsync(string name, CancellationToken cancellationToken = default) =>
        _client.DeleteAsync("registered-models/delete", new JsonObject { ["name"] = name }, cancellationToken);

    /// <inheritdoc/>
    public async Task<PagedList<RegisteredModel>> SearchRegisteredModelsAsync(string? filter = null, int maxResults = 100, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        var response = await _client.GetAsync("registered-models/search", SearchQuery(filter, maxResults, orderBy, pageToken), cancellationToken).ConfigureAwait(false);
        var items = response["registered_models"]?.AsArray().Select(m => MlflowJson.ReadRegisteredModel(m!)).ToList() ?? [];
        return new PagedList<RegisteredModel>(items, RestTrackingStore.NextToken(response));
    }

    /// <inheritdoc/>
    public Task SetRegisteredModelTagAsync(string name, string key, string value, CancellationToken cancellationToken = default) =>
        _client.PostAsync("registered-models/set-tag", new JsonObject { ["name"] = name, ["key"] = key, ["value"] = value }, cancellationToken);

    /// <inheritdoc/>
    public Task DeleteRegisteredModelTagAsync(string name, string key, CancellationToken cancellationToken = default) =>
        _client.DeleteAsync("registered-models/delete-tag", new JsonObject { ["name"] = name, ["key"] = key }, cancellationToken);

    /// <inheritdoc/>
    public async Task<ModelVersion> CreateModelVersionAsync(string name, string source, string? runId = null, IReadOnlyDictionary<string, string>? tags = null, string? description = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["name"] = name, ["source"] = source, ["tags"] = MlflowJson.Tags(tags ?? new Dictionary<string, string>()) };
        if (runId is not null)
        {
            body["run_id"] = runId;
        }

        if (description is not null)
        {
            body["description"] = description;
        }

        return Version(await _client.PostAsync("model-versions/create", body, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async Task<ModelVersion> GetModelVersionAsync(string name, string version, CancellationToken cancellationToken = default) =>
        Version(await _client.GetAsync("model-versions/get", [Q("name", name), Q("version", version)], cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<ModelVersion> UpdateModelVersionAsync(string name, string version, string description, CancellationToken cancellationToken = default) =>
        Version(await _client.PatchAsync("model-versions/update", new JsonObject { ["name"] = name, ["version"] = version, ["description"] = description }, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public Task DeleteModelVersionAsync(string name, string version, CancellationToken cancellationToken = default) =>
        _client.DeleteAsync("model-versions/delete", new JsonObject { ["name"] = name, ["version"] = version }, cancellationToken);

    /// <inheritdoc/>
    public async Task<PagedList<ModelVersion>> SearchModelVersionsAsync(string? filter = null, int maxResults = 10000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        var response = await _client.GetAsync("model-versions/search", SearchQuery(filter, maxResults, orderBy, pageToken), cancellationToken).ConfigureAwait(false);
        var items = response["model_versions"]?.AsArray().Select(v => MlflowJson.ReadModelVersion(v!)).ToList() ?? [];
        return new PagedList<ModelVersion>(items, RestTrackingStore.NextToken(response));
    }

    /// <inheritdoc/>
    public Task SetModelVersionTagAsync(string name, string version, string key, string value, CancellationToken cancellationToken = default) =>
        _client.PostAsync("model-versions/set-tag", new JsonObject { ["name"] = name, ["version"] = version, ["key"] = key, ["value"] = value }, cancellationToken);

    /// <inheritdoc/>
    public Task DeleteModelVersionTagAsync(string name, string version, string key, CancellationToken cancellationToken = default) =>
        _client.DeleteAsync("model-versions/delete-tag", new JsonObject { ["name"] = name, ["version"] = version, ["key"] = key }, cancellationToken);

    /// <inheritdoc/>
    public Task SetRegisteredModelAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default) =>
        _client.PostAsync("registered-models/alias", new JsonObject { ["name"] = name, ["alias"] = alias, ["version"] = version }, cancellationToken);

    /// <inheritdoc/>
    public Task DeleteRegisteredModelAliasAsync(string name, string alias, CancellationToken cancellationToken = default) =>
        _client.DeleteAsync("registered-models/alias", new JsonObject { ["name"] = name, ["alias"] = alias }, cancellationToken);

    /// <inheritdoc/>
    public async Task<ModelVersion> GetModelVersionByAliasAsync(string name, string alias, CancellationToken cancellationToken = default) =>
        Version(await _client.GetAsync("registered-models/alias", [Q("name", name), Q("alias", alias)], cancellationToken).ConfigureAwait(false));

    private static RegisteredModel Model(JsonObject response) => MlflowJson.ReadRegisteredModel(response["registered_model"]!);

    private static ModelVersion Version(JsonObject response) => MlflowJson.ReadModelVersion(response["model_version"]!);

    private static KeyValuePair<string, string?> Q(string key, string? value) => KeyValuePair.Create(key, value);

    private static List<KeyValuePair<string, string?>> SearchQuery(string? filter, int maxResults, IReadOnlyList<string>? orderBy, string? pageToken)
    {
        var query = new List<KeyValuePair<string, string?>> { Q("filter", filter), Q("max_results", maxResults.ToString(CultureInfo.InvariantCulture)), Q("page_token", pageToken) };
        query.AddRange((orderBy ?? []).Select(o => Q("order_by", o)));
        return query;
    }
}
