using Mlops.Tracking.Artifacts;

namespace Mlops.Tracking.Registry;

/// <summary>
/// The model registry API: registered models, versions from <c>runs:/</c> sources, aliases such as <c>champion</c>,
/// tags, search, and resolution of <c>runs:/</c>, <c>models:/name/version</c> and <c>models:/name@alias</c> URIs
/// to artifact locations. Stages are deprecated in MLflow; aliases replace them.
/// </summary>
/// <remarks>
/// Every method is a real <c>XxxAsync(..., CancellationToken)</c> over the <see cref="IModelRegistryStore"/>, with a
/// sync twin that blocks on it and takes its own token (the stores never capture a synchronization context, so
/// blocking cannot deadlock). Members are virtual and a protected constructor exists, so tests can substitute the client.
/// </remarks>
public class ModelRegistryClient
{
    /// <summary>For mocking: a client with no store; override the members a test uses.</summary>
    protected ModelRegistryClient()
    {
        Store = null!;
        Tracking = null!;
    }

    /// <summary>Creates a client over a registry store and the tracking client whose runs hold the models.</summary>
    public ModelRegistryClient(IModelRegistryStore store, TrackingClient tracking)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        Tracking = tracking ?? throw new ArgumentNullException(nameof(tracking));
    }

    /// <summary>The registry store.</summary>
    public virtual IModelRegistryStore Store { get; }

    /// <summary>The tracking client used to resolve <c>runs:/</c> URIs.</summary>
    public virtual TrackingClient Tracking { get; }

    /// <summary>Creates a registered model (RESOURCE_ALREADY_EXISTS if the name is taken); blocks on <see cref="CreateRegisteredModelAsync"/>.</summary>
    public virtual RegisteredModel CreateRegisteredModel(string name, IReadOnlyDictionary<string, string>? tags = null, string? description = null, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(CreateRegisteredModelAsync(name, tags, description, cancellationToken));

    /// <summary>Creates a registered model (RESOURCE_ALREADY_EXISTS if the name is taken).</summary>
    public virtual Task<RegisteredModel> CreateRegisteredModelAsync(string name, IReadOnlyDictionary<string, string>? tags = null, string? description = null, CancellationToken cancellationToken = default) =>
        Store.CreateRegisteredModelAsync(name, tags, description, cancellationToken);

    /// <summary>Gets a registered model; blocks on <see cref="GetRegisteredModelAsync"/>.</summary>
    public virtual RegisteredModel GetRegisteredModel(string name, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(GetRegisteredModelAsync(name, cancellationToken));

    /// <summary>Gets a registered model.</summary>
    public virtual Task<RegisteredModel> GetRegisteredModelAsync(string name, CancellationToken cancellationToken = default) =>
        Store.GetRegisteredModelAsync(name, cancellationToken);

    /// <summary>
    /// Registers a model from a source (MLflow's <c>register_model</c>): creates the registered model if needed and
    /// adds a version. The run of a <c>runs:/</c> source must exist. Blocks on <see cref="RegisterModelAsync"/>.
    /// </summary>
    public virtual ModelVersion RegisterModel(string source, string name, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(RegisterModelAsync(source, name, tags, cancellationToken));

    /// <summary>Registers a model from a source; see <see cref="RegisterModel"/>.</summary>
    public virtual async Task<ModelVersion> RegisterModelAsync(string source, string name, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
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

    /// <summary>Gets a model version; blocks on <see cref="GetModelVersionAsync(string, string, CancellationToken)"/>.</summary>
    public virtual ModelVersion GetModelVersion(string name, string version, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(GetModelVersionAsync(name, version, cancellationToken));

    /// <summary>Gets a model version.</summary>
    public virtual Task<ModelVersion> GetModelVersionAsync(string name, string version, CancellationToken cancellationToken = default) =>
        Store.GetModelVersionAsync(name, version, cancellationToken);

    /// <summary>Points an alias at a version; blocks on <see cref="SetRegisteredModelAliasAsync"/>.</summary>
    public virtual void SetRegisteredModelAlias(string name, string alias, string version, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(SetRegisteredModelAliasAsync(name, alias, version, cancellationToken));

    /// <summary>Points an alias at a version.</summary>
    public virtual Task SetRegisteredModelAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default) =>
        Store.SetRegisteredModelAliasAsync(name, alias, version, cancellationToken);

    /// <summary>Removes an alias; blocks on <see cref="DeleteRegisteredModelAliasAsync"/>.</summary>
    public virtual void DeleteRegisteredModelAlias(string name, string alias, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(DeleteRegisteredModelAliasAsync(name, alias, cancellationToken));

    /// <summary>Removes an alias.</summary>
    public virtual Task DeleteRegisteredModelAliasAsync(string name, string alias, CancellationToken cancellationToken = default) =>
        Store.DeleteRegisteredModelAliasAsync(name, alias, cancellationToken);

    /// <summary>The version an alias points at; blocks on <see cref="GetModelVersionByAliasAsync"/>.</summary>
    public virtual ModelVersion GetModelVersionByAlias(string name, string alias, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(GetModelVersionByAliasAsync(name, alias, cancellationToken));

    /// <summary>The version an alias points at.</summary>
    public virtual Task<ModelVersion> GetModelVersionByAliasAsync(string name, string alias, CancellationToken cancellationToken = default) =>
        Store.GetModelVersionByAliasAsync(name, alias, cancellationToken);

    /// <summary>Searches registered models; blocks on <see cref="SearchRegisteredModelsAsync"/>.</summary>
    public virtual PagedList<RegisteredModel> SearchRegisteredModels(string? filter = null, int maxResults = 100, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(SearchRegisteredModelsAsync(filter, maxResults, orderBy, pageToken, cancellationToken));

    /// <summary>Searches registered models.</summary>
    public virtual Task<PagedList<RegisteredModel>> SearchRegisteredModelsAsync(string? filter = null, int maxResults = 100, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        Store.SearchRegisteredModelsAsync(filter, maxResults, orderBy, pageToken, cancellationToken);

    /// <summary>Searches model versions; blocks on <see cref="SearchModelVersionsAsync"/>.</summary>
    public virtual PagedList<ModelVersion> SearchModelVersions(string? filter = null, int maxResults = 10000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(SearchModelVersionsAsync(filter, maxResults, orderBy, pageToken, cancellationToken));

    /// <summary>Searches model versions.</summary>
    public virtual Task<PagedList<ModelVersion>> SearchModelVersionsAsync(string? filter = null, int maxResults = 10000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        Store.SearchModelVersionsAsync(filter, maxResults, orderBy, pageToken, cancellationToken);

    /// <summary>The model version a <c>models:/</c> URI names (<c>/version</c>, <c>/latest</c> or <c>@alias</c>).</summary>
    public virtual async Task<ModelVersion> GetModelVersionAsync(ModelUri uri, CancellationToken cancellationToken = default)
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
    public virtual string ResolveArtifactUri(string modelUri, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(ResolveArtifactUriAsync(modelUri, cancellationToken));

    /// <summary>The artifact location a model URI names; see <see cref="ResolveArtifactUri"/>.</summary>
    public virtual async Task<string> ResolveArtifactUriAsync(string modelUri, CancellationToken cancellationToken = default)
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
