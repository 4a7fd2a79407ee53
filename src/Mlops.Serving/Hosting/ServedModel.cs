using Microsoft.Extensions.Logging;
using Mlops.Serving.Batching;
using Mlops.Serving.Inference;
using Mlops.Serving.Models;
using Mlops.Serving.Observability;
using Mlops.Tracking.Registry;

namespace Mlops.Serving.Hosting;

/// <summary>
/// One served model name: the version serving now, loads and swaps (one at a time), unload, and the alias poll. A
/// new version is loaded and warmed up beside the one serving, swapped in atomically, and the old one drained and
/// disposed in the background, so no request fails during a swap; a failed load leaves the old one serving.
/// </summary>
internal sealed class ServedModel : IAsyncDisposable
{
    private readonly ServedModelOptions _options;
    private readonly ModelLoader _loader;
    private readonly TimeProvider _timeProvider;
    private readonly ServingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private readonly List<Task> _closing = [];
    private volatile ModelRuntime? _current;
    private volatile RepositoryModel _entry;
    private ITimer? _pollTimer;
    private int _polling;
    private bool _unloaded;
    private bool _disposed;

    public ServedModel(string name, ServedModelOptions options, ModelLoader loader, TimeProvider timeProvider, ServingMetrics metrics, ILogger logger)
    {
        Name = name;
        _options = options;
        _loader = loader;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        FollowsAlias = ModelUri.Parse(options.Uri).Kind == ModelUriKind.Alias;
        _entry = new RepositoryModel(name, null, ModelState.Unavailable, "not loaded yet");
    }

    /// <summary>Raised after a new version starts serving (model name, version).</summary>
    internal event Action<string, string?>? Swapped;

    /// <summary>Raised after a load fails (model name, reason).</summary>
    internal event Action<string, string>? LoadFailed;

    public string Name { get; }

    /// <summary>Whether the model follows a registry alias (and so is polled).</summary>
    public bool FollowsAlias { get; }

    /// <summary>The version serving now, or null.</summary>
    public LoadedVersion? Current => _current?.Version;

    public bool IsReady => _current is not null;

    public RepositoryModel Entry => _entry;

    /// <summary>Runs a request on the version serving (the one named by <paramref name="version"/>, which must be it).</summary>
    public async Task<InferenceResponse> InferAsync(string? version, InferenceRequest request, int maxRows, CancellationToken cancellationToken)
    {
        var runtime = Acquire(version);
        try
        {
            var loaded = runtime.Version;
            var validated = loaded.Schema.Validate(request, maxRows);
            var outputs = await runtime.Batcher.PredictAsync(validated, cancellationToken).ConfigureAwait(false);
            return new InferenceResponse(Name, loaded.Version, loaded.Schema.ToTensors(outputs, validated.Outputs, validated.Rows), request.Id);
        }
        finally
        {
            runtime.Release();
        }
    }

    /// <summary>The version serving, checked against the one asked for.</summary>
    public LoadedVersion Serving(string? version)
    {
        var current = _current?.Version;
        if (version is not null && current?.Version != version)
        {
            throw InferenceException.ModelNotFound(Name, version);
        }

        return current ?? throw NotServing();
    }

    /// <summary>
    /// Loads the version the URI names now and swaps it in. Unless <paramref name="force"/>, a model already serving
    /// that version is left as it is (so a poll that finds the alias unmoved does nothing).
    /// </summary>
    /// <exception cref="InferenceException">ModelFailed with the reason; the version serving before keeps serving.</exception>
    public async Task LoadAsync(bool force, CancellationToken cancellationToken)
    {
        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _unloaded = false;
            var serving = _current?.Version;
            string? version;
            try
            {
                version = await _loader.ResolveVersionAsync(_options.Uri, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Failed(serving, null, $"cannot resolve '{_options.Uri}': {e.Message}", e);
            }

            if (!force && serving is not null && serving.Version == version)
            {
                return;
            }

            _entry = serving is null
                ? new RepositoryModel(Name, version, ModelState.Loading, null)
                : _entry with { Reason = $"loading version {version ?? "-"}; version {serving.Version ?? "-"} keeps serving until it is ready" };
            _logger.LogInformation("Loading model {Model} version {Version} from {Uri}.", Name, version, _options.Uri);
            using var activity = ServingMetrics.ActivitySource.StartActivity("model_load");
            activity?.SetTag("model", Name);
            activity?.SetTag("version", version);
            var runtime = await LoadVersionAsync(serving, version, cancellationToken).ConfigureAwait(false);

            var old = Interlocked.Exchange(ref _current, runtime);
            _entry = new RepositoryModel(Name, version, ModelState.Ready, null);
            _metrics.ModelLoadedChanged(Name, version, 1);
            _metrics.SetModelMemory(Name, version, runtime.Version.MemoryBytes);
            _logger.LogInformation(
                "Model {Model} version {Version} is serving ({Platform}, {MemoryBytes} bytes of resident memory grown during its load){Replaced}.",
                Name, version, runtime.Version.Platform, runtime.Version.MemoryBytes, old is null ? "" : $"; version {old.Version.Version ?? "-"} drains and is disposed");
            if (old is not null)
            {
                Retire(old);
            }

            Swapped?.Invoke(Name, version);
        }
        finally
        {
            _loadLock.Release();
        }
    }

    /// <summary>Stops new requests (503), lets those in flight finish, and disposes the version.</summary>
    public async Task UnloadAsync(CancellationToken cancellationToken)
    {
        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _unloaded = true;
            var old = Interlocked.Exchange(ref _current, null);
            if (old is null)
            {
                _entry = new RepositoryModel(Name, null, ModelState.Unavailable, "unloaded");
                return;
            }

            _entry = new RepositoryModel(Name, old.Version.Version, ModelState.Unloading, "unloading: requests in flight finish first");
            _logger.LogInformation("Unloading model {Model} version {Version}.", Name, old.Version.Version);
            await CloseAsync(old).ConfigureAwait(false);
            _entry = new RepositoryModel(Name, old.Version.Version, ModelState.Unavailable, "unloaded");
        }
        finally
        {
            _loadLock.Release();
        }
    }

    /// <summary>Starts polling the registry for a moved alias (only for a model served by alias).</summary>
    public void StartPolling(TimeSpan interval)
    {
        if (FollowsAlias && _pollTimer is null)
        {
            _pollTimer = _timeProvider.CreateTimer(static state => _ = ((ServedModel)state!).PollAsync(), this, interval, interval);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_pollTimer is not null)
        {
            await _pollTimer.DisposeAsync().ConfigureAwait(false);
        }

        // A load under way (a poll) finishes first, so nothing is swapped in after this.
        await _loadLock.WaitAsync().ConfigureAwait(false);
        _disposed = true;
        _loadLock.Release();
        var current = Interlocked.Exchange(ref _current, null);
        if (current is not null)
        {
            await CloseAsync(current).ConfigureAwait(false);
        }

        Task[] closing;
        lock (_closing)
        {
            closing = [.. _closing];
        }

        await Task.WhenAll(closing).ConfigureAwait(false);
    }

    private async Task PollAsync()
    {
        if (Interlocked.Exchange(ref _polling, 1) == 1)
        {
            return;
        }

        try
        {
            if (!Volatile.Read(ref _unloaded))
            {
                await LoadAsync(force: false, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (InferenceException)
        {
            // Logged and shown in the index by LoadAsync; the next poll tries again.
        }
        catch (ObjectDisposedException)
        {
            // The server is stopping.
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    private async Task<ModelRuntime> LoadVersionAsync(LoadedVersion? serving, string? version, CancellationToken cancellationToken)
    {
        LoadedVersion? loaded = null;
        try
        {
            var (model, memory) = await _loader.LoadAsync(_options.Uri, version, cancellationToken).ConfigureAwait(false);
            try
            {
                loaded = new LoadedVersion(Name, version, model, memory);
            }
            catch
            {
                model.Dispose();
                throw;
            }

            // One pass on zeros before the swap: the first real request must not pay for lazy initialisation, and a
            // model that cannot predict must not replace one that can.
            if (loaded.Schema.WarmUpColumns() is { } warmUp)
            {
                loaded.Predictor.Predict(warmUp);
            }

            return new ModelRuntime(loaded, new ModelBatcher(loaded, _options, _timeProvider, _metrics, _logger));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            loaded?.Dispose();
            throw Failed(serving, version, e.Message, e);
        }
        catch
        {
            loaded?.Dispose();
            _entry = serving is null
                ? new RepositoryModel(Name, version, ModelState.Unavailable, "the load was cancelled")
                : new RepositoryModel(Name, serving.Version, ModelState.Ready, null);
            throw;
        }
    }

    private InferenceException Failed(LoadedVersion? serving, string? version, string message, Exception error)
    {
        var reason = serving is null
            ? $"version {version ?? "-"} failed to load: {message}"
            : $"version {version ?? "-"} failed to load, so version {serving.Version ?? "-"} keeps serving: {message}";
        _entry = serving is null
            ? new RepositoryModel(Name, version, ModelState.Unavailable, reason)
            : new RepositoryModel(Name, serving.Version, ModelState.Ready, reason);
        _logger.LogError(error, "Model {Model}: {Reason}", Name, reason);
        LoadFailed?.Invoke(Name, reason);
        return new InferenceException(InferenceErrorKind.ModelFailed, $"model '{Name}': {reason}", innerException: error);
    }

    private ModelRuntime Acquire(string? version)
    {
        while (true)
        {
            var runtime = _current ?? throw NotServing();
            if (version is not null && runtime.Version.Version != version)
            {
                throw InferenceException.ModelNotFound(Name, version);
            }

            // False only while a swap retires this version: the next read sees the one swapped in.
            if (runtime.TryAcquire())
            {
                return runtime;
            }
        }
    }

    private void Retire(ModelRuntime old)
    {
        var task = CloseAsync(old);
        lock (_closing)
        {
            _closing.RemoveAll(t => t.IsCompleted);
            _closing.Add(task);
        }
    }

    private async Task CloseAsync(ModelRuntime runtime)
    {
        try
        {
            await runtime.CloseAsync().ConfigureAwait(false);
            _logger.LogInformation("Model {Model} version {Version} drained and disposed.", Name, runtime.Version.Version);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "Model {Model} version {Version} failed while being disposed.", Name, runtime.Version.Version);
        }
        finally
        {
            _metrics.ModelLoadedChanged(Name, runtime.Version.Version, -1);
            _metrics.SetModelMemory(Name, runtime.Version.Version, null);
        }
    }

    private InferenceException NotServing()
    {
        var entry = _entry;
        return InferenceException.Unavailable(entry.State == ModelState.Unloading
            ? $"model '{Name}' is unloading."
            : $"model '{Name}' is not ready ({entry.State.ToString().ToUpperInvariant()}{(entry.Reason is null ? "" : ": " + entry.Reason)}).");
    }
}
