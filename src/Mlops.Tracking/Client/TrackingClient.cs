using System.Globalization;
using Mlops.Storage;
using Mlops.Tracking.Artifacts;
using Mlops.Tracking.Registry;
using Mlops.Tracking.Stores;

namespace Mlops.Tracking;

/// <summary>
/// The tracking API, in the spirit of MLflow's <c>MlflowClient</c>: experiments, runs, params, metrics, tags,
/// artifacts and search over any <see cref="ITrackingStore"/>. Thread-safe; create one per tracking URI and share it.
/// </summary>
/// <remarks>
/// <para>
/// Every I/O method is a real <c>XxxAsync(..., CancellationToken)</c> over the store. Its sync twin blocks on it, with
/// its own <see cref="CancellationToken"/>: the stores' async work does not capture a synchronization context
/// (<c>ConfigureAwait(false)</c> throughout; SQLite completes synchronously), so blocking cannot deadlock.
/// </para>
/// <para>
/// For tests, members are virtual and a protected constructor exists: a subclass overriding what a test uses can be
/// passed wherever a <see cref="TrackingClient"/> is expected. Result models (<see cref="Run"/>, <see cref="RunInfo"/>,
/// <see cref="RunData"/>, <see cref="Experiment"/>, <see cref="PagedList{T}"/>, <see cref="LoggedModel"/>, the
/// registry's entities) are public records a test constructs directly.
/// </para>
/// </remarks>
public partial class TrackingClient : IDisposable
{
    private readonly bool _ownsStore;
    private readonly IModelRegistryStore? _registryStore;
    private readonly ModelRegistryClient? _registry;
    private readonly StorageResolver _resolver;
    private readonly TimeProvider _timeProvider;

    /// <summary>For mocking: a client with no store; override the members a test uses.</summary>
    protected TrackingClient()
    {
        Store = null!;
        _resolver = StorageResolver.Default;
        _timeProvider = TimeProvider.System;
        TrackingUri = "";
    }

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
        _registry = registryStore is null ? null : new ModelRegistryClient(registryStore, this);
        _resolver = resolver ?? StorageResolver.Default;
        _timeProvider = timeProvider ?? TimeProvider.System;
        TrackingUri = store is SqliteTrackingStore sqlite && store.GetType() == typeof(SqliteTrackingStore) ? "sqlite:///" + sqlite.DatabasePath.TrimStart('/') : store.GetType().Name;
    }

    /// <summary>Whether the client has a model registry (<see cref="Registry"/>).</summary>
    public virtual bool HasRegistry => _registry is not null;

    /// <summary>The model registry next to the tracking store.</summary>
    /// <exception cref="InvalidOperationException">The client was created without a registry store (see <see cref="HasRegistry"/>).</exception>
    public virtual ModelRegistryClient Registry => _registry ?? throw new InvalidOperationException(
        $"The tracking client for '{TrackingUri}' has no model registry: create it with an IModelRegistryStore (a sqlite:/// or http(s):// tracking URI has one).");

    /// <summary>The store the client talks to.</summary>
    public virtual ITrackingStore Store { get; }

    /// <summary>The tracking URI the client was created with.</summary>
    public virtual string TrackingUri { get; }

    /// <summary>The id of MLflow's Default experiment.</summary>
    public const string DefaultExperimentId = "0";

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the stores when the client opened them from a tracking URI.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing && _ownsStore)
        {
            (Store as IDisposable)?.Dispose();
            (_registryStore as IDisposable)?.Dispose();
        }
    }

    /// <summary>Entries an <see cref="ActiveRun.Background"/> queue holds before log calls wait.</summary>
    public virtual int AsyncQueueCapacity { get; init; } = 100_000;

    /// <summary>How long an <see cref="ActiveRun.Background"/> queue waits to fill a batch.</summary>
    public virtual TimeSpan AsyncFlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    internal TimeProvider TimeProvider => _timeProvider;

    /// <summary>Milliseconds since the Unix epoch, by the client's clock.</summary>
    public virtual long NowMs() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- Experiments ----

    /// <summary>Creates an experiment; returns its id.</summary>
    public virtual string CreateExperiment(string name, string? artifactLocation = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default) =>
        Wait(CreateExperimentAsync(name, artifactLocation, tags, cancellationToken));

    /// <summary>Creates an experiment; returns its id.</summary>
    public virtual Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default) =>
        Store.CreateExperimentAsync(name, artifactLocation, ToTags(tags), cancellationToken);

    /// <summary>Gets an experiment by id.</summary>
    public virtual Experiment GetExperiment(string experimentId, CancellationToken cancellationToken = default) => Wait(GetExperimentAsync(experimentId, cancellationToken));

    /// <summary>Gets an experiment by id.</summary>
    public virtual Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default) =>
        Store.GetExperimentAsync(experimentId, cancellationToken);

    /// <summary>Gets an experiment by name, or null.</summary>
    public virtual Experiment? GetExperimentByName(string name, CancellationToken cancellationToken = default) => Wait(GetExperimentByNameAsync(name, cancellationToken));

    /// <summary>Gets an experiment by name, or null.</summary>
    public virtual Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default) =>
        Store.GetExperimentByNameAsync(name, cancellationToken);

    /// <summary>The id of the named experiment, creating it if needed (MLflow's <c>set_experiment</c>).</summary>
    public virtual string GetOrCreateExperiment(string name, CancellationToken cancellationToken = default) => Wait(GetOrCreateExperimentAsync(name, cancellationToken));

    /// <summary>The id of the named experiment, creating it if needed (MLflow's <c>set_experiment</c>).</summary>
    public virtual async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken = default)
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
    public virtual PagedList<Experiment> SearchExperiments(ViewType viewType = ViewType.ActiveOnly, int maxResults = 1000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, string? filter = null, CancellationToken cancellationToken = default) =>
        Wait(Store.SearchExperimentsAsync(viewType, maxResults, orderBy, pageToken, filter, cancellationToken));

    /// <summary>Lists experiments.</summary>
    public virtual Task<PagedList<Experiment>> SearchExperimentsAsync(ViewType viewType = ViewType.ActiveOnly, int maxResults = 1000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, string? filter = null, CancellationToken cancellationToken = default) =>
        Store.SearchExperimentsAsync(viewType, maxResults, orderBy, pageToken, filter, cancellationToken);

    /// <summary>Deletes an experiment and its runs (restorable).</summary>
    public virtual void DeleteExperiment(string experimentId, CancellationToken cancellationToken = default) => Wait(Store.DeleteExperimentAsync(experimentId, cancellationToken));

    /// <summary>Deletes an experiment and its runs (restorable).</summary>
    public virtual Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default) => Store.DeleteExperimentAsync(experimentId, cancellationToken);

    /// <summary>Restores a deleted experiment.</summary>
    public virtual void RestoreExperiment(string experimentId, CancellationToken cancellationToken = default) => Wait(Store.RestoreExperimentAsync(experimentId, cancellationToken));

    /// <summary>Restores a deleted experiment.</summary>
    public virtual Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default) => Store.RestoreExperimentAsync(experimentId, cancellationToken);

    /// <summary>Renames an experiment.</summary>
    public virtual void RenameExperiment(string experimentId, string newName, CancellationToken cancellationToken = default) => Wait(Store.RenameExperimentAsync(experimentId, newName, cancellationToken));

    /// <summary>Renames an experiment.</summary>
    public virtual Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default) => Store.RenameExperimentAsync(experimentId, newName, cancellationToken);

    /// <summary>Sets a tag on an experiment.</summary>
    public virtual void SetExperimentTag(string experimentId, string key, string value, CancellationToken cancellationToken = default) => Wait(Store.SetExperimentTagAsync(experimentId, new RunTag(key, value), cancellationToken));

    /// <summary>Sets a tag on an experiment.</summary>
    public virtual Task SetExperimentTagAsync(string experimentId, string key, string value, CancellationToken cancellationToken = default) =>
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
