using Mlops.Tracking.Artifacts;

namespace Mlops.Tracking.Registry;

/// <summary>
/// The model registry API: registered models, versions from <c>runs:/</c> sources, aliases such as <c>champion</c>,
/// tags, search, and resolution of <c>runs:/</c>, <c>models:/name/version</c> and <c>models:/name@alias</c> URIs
/// to artifact locations. Sync and async twins. Stages are deprecated in MLflow; aliases replace them.
/// </summary>
public sealed class ModelRegistryClient
{
    /// <summary>Creates a client over a registry store and the tracking client whose runs hold the models.</summary>
    public ModelRegistryClient(IModelRegistryStore store, TrackingClient tracking)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        Tracking = tracking ?? throw new ArgumentNullException(nameof(tracking));
    }

    /// <summary>The registry store.</summary>
    public IModelRegistryStore Store { get; }

    /// <summary>The tracking client used to resolve <c>runs:/</c> URIs.</summary>
    public TrackingClient Tracking { get; }

    /// <summary>Creates a registered model.</summary>
    public RegisteredModel CreateRegisteredModel(string name, IReadOnlyDictionary<string, string>? tags = null, string? description = null) =>
        TrackingClient.Wait(Store.CreateRegisteredModelAsync(name, tags, description));

    /// <summary>Gets a registered model.</summary>
    public RegisteredModel GetRegisteredModel(string name) => TrackingClient.Wait(Store.GetRegisteredModelAsync(name));

    /// <summary>
    /// Registers a model from a source (MLflow's <c>register_model</c>): creates the registered model if needed and
    /// adds a version. The run of a <c>runs:/</c> source must exist.
    /// </summary>
    public ModelVersion RegisterModel(string source, string name, IReadOnlyDictionary<string, string>? tags = null) =>
        TrackingClient.Wait(RegisterModelAsync(source, name, tags));

    /// <summary>Registers a model from a source; see <see cref="RegisterModel"/>.</summary>
    public async Task<ModelVersion> RegisterModelAsync(string source, string name, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        var uri = ModelUri.Parse(source);
        string? runId = null;
        if (uri.Kind == ModelUriKind.Run)
        {
            runId = (await Tracking.GetRunAsync(uri.RunId!, cancellationToken).ConfigureAwait(false)).Info.RunId;
        }
        else if (uri.Kind != ModelUriKind.Location)
        {
            throw MlflowException.InvalidParameter($"Cannot register '{source}': the source must be a runs:/ URI or an artifact location.");
        }

        try
        {
            await Store.CreateRegisteredModelAsync(name, null, null, cancellationToken).ConfigureAwait(false);
        }
        catch (MlflowException e) when (e.ErrorCode == MlflowErrorCodes.ResourceAlreadyExists)
        {
            // Registering a new version of an existing model.
        }

        return await Store.CreateModelVersionAsync(name, source, runId, tags, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets a model version.</summary>
    public ModelVersion GetModelVersion(string name, string version) => TrackingClient.Wait(Store.GetModelVersionAsync(name, version));

    /// <summary>Points an alias at a version.</summary>
    public void SetRegisteredModelAlias(string name, string alias, string version) => TrackingClient.Wait(Store.SetRegisteredModelAliasAsync(name, alias, version));

    /// <summary>Removes an alias.</summary>
    public void DeleteRegisteredModelAlias(string name, string alias) => TrackingClient.Wait(Store.DeleteRegisteredModelAliasAsync(name, alias));

    /// <summary>The version an alias points at.</summary>
    public ModelVersion GetModelVersionByAlias(string name, string alias) => TrackingClient.Wait(Store.GetModelVersionByAliasAsync(name, alias));

    /// <summary>Searches registered models.</summary>
    public PagedList<RegisteredModel> SearchRegisteredModels(string? filter = null, int maxResults = 100, IReadOnlyList<string>? orderBy = null, string? pageToken = null) =>
        TrackingClient.Wait(Store.SearchRegisteredModelsAsync(filter, maxResults, orderBy, pageToken));

    /// <summary>Searches model versions.</summary>
    public PagedList<ModelVersion> SearchModelVersions(string? filter = null, int maxResults = 10000, IReadOnlyList<string>? orderBy = null, string? pageToken = null) =>
        TrackingClient.Wait(Store.SearchModelVersionsAsync(filter, maxResults, orderBy, pageToken));

    /// <summary>The model version a <c>models:/</c> URI names (<c>/version</c>, <c>/latest</c> or <c>@alias</c>).</summary>
    public async Task<ModelVersion> GetModelVersionAsync(ModelUri uri, CancellationToken cancellationToken = default)
    {
        switch (uri.Kind)
        {
            case ModelUriKind.Alias:
                return await Store.GetModelVersionByAliasAsync(uri.Name!, uri.VersionOrAlias!, cancellationToken).ConfigureAwait(false);
            case ModelUriKind.Version when uri.VersionOrAlias!.Equals("latest", StringComparison.OrdinalIgnoreCase):
                var model = await Store.GetRegisteredModelAsync(uri.Name!, cancellationToken).ConfigureAwait(false);
                return model.LatestVersion is { } latest
                    ? await Store.GetModelVersionAsync(uri.Name!, latest, cancellationToken).ConfigureAwait(false)
                    : throw MlflowException.NotFound($"Registered model '{uri.Name}' has no versions, so '{uri.Original}' names nothing.");
            case ModelUriKind.Version:
                return await Store.GetModelVersionAsync(uri.Name!, uri.VersionOrAlias!, cancellationToken).ConfigureAwait(false);
            default:
                throw MlflowException.InvalidParameter($"'{uri.Original}' is not a models:/ URI.");
        }
    }

    /// <summary>The artifact location (a folder or blob URI) a model URI names, following registry sources to runs.</summary>
    public string ResolveArtifactUri(string modelUri) => TrackingClient.Wait(ResolveArtifactUriAsync(modelUri));

    /// <summary>The artifact location a model URI names; see <see cref="ResolveArtifactUri"/>.</summary>
    public async Task<string> ResolveArtifactUriAsync(string modelUri, CancellationToken cancellationToken = default)
    {
        var uri = ModelUri.Parse(modelUri);
        for (var hops = 0; hops < 8; hops++)
        {
            switch (uri.Kind)
            {
                case ModelUriKind.Run:
                    var run = await Tracking.GetRunAsync(uri.RunId!, cancellationToken).ConfigureAwait(false);
                    var path = ArtifactPath.Normalize(uri.Path);
                    return path.Length == 0 ? run.Info.ArtifactUri : run.Info.ArtifactUri.TrimEnd('/') + "/" + path;
                case ModelUriKind.Location:
                    return uri.Original;
                default:
                    var version = await GetModelVersionAsync(uri, cancellationToken).ConfigureAwait(false);
                    uri = ModelUri.Parse(version.Source);
                    break;
            }
        }

        throw MlflowException.InvalidParameter($"Model URI '{modelUri}' resolves through too many registry sources.");
    }
}
