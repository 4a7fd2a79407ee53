using System.Globalization;
using Mlops.Storage;
using Mlops.Tracking.Artifacts;
using Mlops.Tracking.Registry;
using Mlops.Tracking.Stores;

namespace Mlops.Tracking;

/// <summary>
/// The tracking API, in the spirit of MLflow's <c>MlflowClient</c>: experiments, runs, params, metrics, tags,
/// artifacts and search over any <see cref="ITrackingStore"/>. Every method has a sync and an async twin.
/// Thread-safe; create one per tracking URI and share it.
/// </summary>
public sealed partial class TrackingClient : IDisposable
{
    private readonly bool _ownsStore;
    private readonly IModelRegistryStore? _registryStore;
    private readonly StorageResolver _resolver;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a client for a tracking URI: <c>sqlite:///path.db</c> (or a <c>.db</c> file path).</summary>
    /// <param name="trackingUri">The store's URI.</param>
    /// <param name="defaultArtifactRoot">Where new experiments put artifacts (a folder or <c>wasbs://</c> URI); beside the database if null.</param>
    /// <param name="resolver">Resolves artifact URIs; <see cref="StorageResolver.Default"/> if null.</param>
    /// <param name="timeProvider">The clock for run times and metric timestamps.</param>
    public TrackingClient(string trackingUri, string? defaultArtifactRoot = null, StorageResolver? resolver = null, TimeProvider? timeProvider = null)
        : this(TrackingStores.Open(trackingUri, defaultArtifactRoot, timeProvider), TrackingStores.OpenRegistry(trackingUri, timeProvider), resolver, timeProvider)
    {
        TrackingUri = trackingUri;
        _ownsStore = true;
    }

    /// <summary>Creates a client over a store and, optionally, a model registry store (which the caller keeps owning).</summary>
    public TrackingClient(ITrackingStore store, IModelRegistryStore? registryStore = null, StorageResolver? resolver = null, TimeProvider? timeProvider = null)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        _registryStore = registryStore;
        Registry = registryStore is null ? null : new ModelRegistryClient(registryStore, this);
        _resolver = resolver ?? StorageResolver.Default;
        _timeProvider = timeProvider ?? TimeProvider.System;
        TrackingUri = store is SqliteTrackingStore sqlite ? "sqlite:///" + sqlite.DatabasePath.TrimStart('/') : store.GetType().Name;
    }

    /// <summary>The model registry next to the tracking store, or null if the client was created without one.</summary>
    public ModelRegistryClient? Registry { get; }

    /// <summary>The store the client talks to.</summary>
    public ITrackingStore Store { get; }

    /// <summary>The tracking URI the client was created with.</summary>
    public string TrackingUri { get; }

    /// <summary>The id of MLflow's Default experiment.</summary>
    public const string DefaultExperimentId = "0";

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsStore)
        {
            (Store as IDisposable)?.Dispose();
            (_registryStore as IDisposable)?.Dispose();
        }
    }

    /// <summary>Entries an <see cref="ActiveRun.Background"/> queue holds before log calls wait.</summary>
    public int AsyncQueueCapacity { get; init; } = 100_000;

    /// <summary>How long an <see cref="ActiveRun.Background"/> queue waits to fill a batch.</summary>
    public TimeSpan AsyncFlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    internal TimeProvider TimeProvider => _timeProvider;

    /// <summary>Milliseconds since the Unix epoch, by the client's clock.</summary>
    public long NowMs() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- Experiments ----

    /// <summary>Creates an experiment; returns its id.</summary>
    public string CreateExperiment(string name, string? artifactLocation = null, IReadOnlyDictionary<string, string>? tags = null) =>
        Wait(CreateExperimentAsync(name, artifactLocation, tags));

    /// <summary>Creates an experiment; returns its id.</summary>
    public Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default) =>
        Store.CreateExperimentAsync(name, artifactLocation, ToTags(tags), cancellationToken);

    /// <summary>Gets an experiment by id.</summary>
    public Experiment GetExperiment(string experimentId) => Wait(GetExperimentAsync(experimentId));

    /// <summary>Gets an experiment by id.</summary>
    public Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default) =>
        Store.GetExperimentAsync(experimentId, cancellationToken);

    /// <summary>Gets an experiment by name, or null.</summary>
    public Experiment? GetExperimentByName(string name) => Wait(GetExperimentByNameAsync(name));

    /// <summary>Gets an experiment by name, or null.</summary>
    public Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default) =>
        Store.GetExperimentByNameAsync(name, cancellationToken);

    /// <summary>The id of the named experiment, creating it if needed (MLflow's <c>set_experiment</c>).</summary>
    public string GetOrCreateExperiment(string name) => Wait(GetOrCreateExperimentAsync(name));

    /// <summary>The id of the named experiment, creating it if needed (MLflow's <c>set_experiment</c>).</summary>
    public async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken = default)
    {
        var existing = await Store.GetExperimentByNameAsync(name, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            if (existing.LifecycleStage == LifecycleStage.Deleted)
            {
                throw MlflowException.InvalidParameter($"Cannot set a deleted experiment '{name}' as the active experiment. You can restore the experiment, or permanently delete it.");
            }

            return existing.ExperimentId;
        }

        try
        {
            return await Store.CreateExperimentAsync(name, null, null, cancellationToken).ConfigureAwait(false);
        }
        catch (MlflowException e) when (e.ErrorCode == MlflowErrorCodes.ResourceAlreadyExists)
        {
            // Another process created it between our lookup and our create.
            return (await Store.GetExperimentByNameAsync(name, cancellationToken).ConfigureAwait(false))!.ExperimentId;
        }
    }

    /// <summary>Lists experiments.</summary>
    public PagedList<Experiment> SearchExperiments(ViewType viewType = ViewType.ActiveOnly, int maxResults = 1000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, string? filter = null) =>
        Wait(Store.SearchExperimentsAsync(viewType, maxResults, orderBy, pageToken, filter));

    /// <summary>Lists experiments.</summary>
    public Task<PagedList<Experiment>> SearchExperimentsAsync(ViewType viewType = ViewType.ActiveOnly, int maxResults = 1000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, string? filter = null, CancellationToken cancellationToken = default) =>
        Store.SearchExperimentsAsync(viewType, maxResults, orderBy, pageToken, filter, cancellationToken);

    /// <summary>Deletes an experiment and its runs (restorable).</summary>
    public void DeleteExperiment(string experimentId) => Wait(Store.DeleteExperimentAsync(experimentId));

    /// <summary>Deletes an experiment and its runs (restorable).</summary>
    public Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default) => Store.DeleteExperimentAsync(experimentId, cancellationToken);

    /// <summary>Restores a deleted experiment.</summary>
    public void RestoreExperiment(string experimentId) => Wait(Store.RestoreExperimentAsync(experimentId));

    /// <summary>Restores a deleted experiment.</summary>
    public Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default) => Store.RestoreExperimentAsync(experimentId, cancellationToken);

    /// <summary>Renames an experiment.</summary>
    public void RenameExperiment(string experimentId, string newName) => Wait(Store.RenameExperimentAsync(experimentId, newName));

    /// <summary>Renames an experiment.</summary>
    public Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default) => Store.RenameExperimentAsync(experimentId, newName, cancellationToken);

    /// <summary>Sets a tag on an experiment.</summary>
    public void SetExperimentTag(string experimentId, string key, string value) => Wait(Store.SetExperimentTagAsync(experimentId, new RunTag(key, value)));

    /// <summary>Sets a tag on an experiment.</summary>
    public Task SetExperimentTagAsync(string experimentId, string key, string value, CancellationToken cancellationToken = default) =>
        Store.SetExperimentTagAsync(experimentId, new RunTag(key, value), cancellationToken);

    // ---- Helpers ----

    internal static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    internal static void Wait(Task task) => task.GetAwaiter().GetResult();

    internal static List<RunTag> ToTags(IReadOnlyDictionary<string, string>? tags) =>
        tags?.Select(pair => new RunTag(pair.Key, pair.Value)).ToList() ?? [];

    /// <summary>Formats a param value the way MLflow's clients do: invariant culture, booleans lowercase-free as .NET prints them.</summary>
    internal static string FormatParam(object? value) => value switch
    {
        null => "None",
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    internal ArtifactRepository Artifacts(string artifactUri) => new(artifactUri, _resolver);
}
