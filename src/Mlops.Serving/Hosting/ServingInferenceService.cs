using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Serving.Inference;
using Mlops.Serving.Models;
using Mlops.Serving.Observability;
using Mlops.Serving.Routing;

namespace Mlops.Serving.Hosting;

/// <summary>
/// The <see cref="InferenceService"/> that <c>AddServing</c> registers: the configured models (loaded by
/// <see cref="ServingHostedService"/> at start), traffic experiments over them, enrichers, metrics and the request timeout.
/// </summary>
internal sealed class ServingInferenceService : InferenceService, IAsyncDisposable, IDisposable
{
    private static readonly string ServerVersion = ReadVersion();

    private readonly ServingOptions _options;
    private readonly Dictionary<string, ServedModel> _models;
    private readonly Dictionary<string, TrafficExperiment> _experiments;
    private readonly IInferenceRequestEnricher[] _enrichers;
    private readonly ServingMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    public ServingInferenceService(
        IOptions<ServingOptions> options,
        ModelLoader loader,
        ServingMetrics metrics,
        IEnumerable<IInferenceRequestEnricher> enrichers,
        TrafficRandom random,
        TimeProvider timeProvider,
        ILogger<ServingInferenceService> logger)
    {
        _options = options.Value;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        _enrichers = [.. enrichers];
        _models = _options.Models.ToDictionary(m => m.Key, m => new ServedModel(m.Key, m.Value, loader, timeProvider, metrics, logger), StringComparer.Ordinal);
        _experiments = _options.Experiments.ToDictionary(e => e.Key, e => new TrafficExperiment(e.Key, e.Value, random), StringComparer.Ordinal);
        Metadata = new ServerMetadata(_options.ServerName, ServerVersion, ["binary_tensor_data", "model_repository"]);
    }

    /// <summary>Raised when a mirrored request ends (mirror model, its error or null); errors never reach the caller.</summary>
    internal event Action<string, Exception?>? MirrorCompleted;

    internal IReadOnlyDictionary<string, ServedModel> Models => _models;

    /// <inheritdoc/>
    public override bool IsLive => Volatile.Read(ref _disposed) == 0;

    /// <inheritdoc/>
    public override bool IsReady => IsLive && _models.Values.All(m => m.IsReady);

    /// <inheritdoc/>
    public override ServerMetadata Metadata { get; }

    /// <inheritdoc/>
    public override ValueTask<ModelMetadata> GetModelMetadataAsync(string model, string? version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (_experiments.TryGetValue(model, out var experiment))
        {
            // An experiment answers with its default's inputs and outputs: clients call it like that model.
            if (version is not null)
            {
                throw InferenceException.ModelNotFound(model, version);
            }

            var metadata = Find(experiment.Default, null).Serving(null).Metadata(model);
            return ValueTask.FromResult(metadata with { Versions = [] });
        }

        return ValueTask.FromResult(Find(model, version).Serving(version).Metadata(model));
    }

    /// <inheritdoc/>
    public override ValueTask<bool> IsModelReadyAsync(string model, string? version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (_experiments.TryGetValue(model, out var experiment))
        {
            return version is null ? ValueTask.FromResult(_models[experiment.Default].IsReady) : throw InferenceException.ModelNotFound(model, version);
        }

        var served = Find(model, version);
        if (version is not null && served.Current is { } current && current.Version != version)
        {
            throw InferenceException.ModelNotFound(model, version);
        }

        return ValueTask.FromResult(served.IsReady);
    }

    /// <inheritdoc/>
    public override async ValueTask<InferenceResponse> InferAsync(string model, string? version, InferenceRequest request, InferenceCallContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        if (_experiments.TryGetValue(model, out var experiment))
        {
            if (version is not null)
            {
                _metrics.RequestFailed(model, version, InferenceErrorKind.ModelNotFound, TimeSpan.Zero);
                throw InferenceException.ModelNotFound(model, version);
            }

            var route = experiment.Choose(context?.RequestedRoute, name => _models[name].IsReady);
            if (context is not null)
            {
                context.Route = route;
            }

            if (experiment.ShouldMirror())
            {
                Mirror(experiment.Mirror!, request);
            }

            return await InferServedAsync(_models[route], null, request, cancellationToken).ConfigureAwait(false);
        }

        if (!_models.TryGetValue(model, out var served))
        {
            _metrics.RequestFailed(string.Empty, version, InferenceErrorKind.ModelNotFound, TimeSpan.Zero);
            throw InferenceException.ModelNotFound(model, null);
        }

        return await InferServedAsync(served, version, request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override ValueTask<IReadOnlyList<RepositoryModel>> GetRepositoryIndexAsync(bool readyOnly = false, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<RepositoryModel> index = _models.Values.Select(m => m.Entry)
            .Where(e => !readyOnly || e.State == ModelState.Ready)
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        return ValueTask.FromResult(index);
    }

    /// <inheritdoc/>
    public override async ValueTask LoadModelAsync(string model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        await FindForRepository(model).LoadAsync(force: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async ValueTask UnloadModelAsync(string model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        await FindForRepository(model).UnloadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads every model (a failure leaves that model unavailable with its reason) and starts the alias polls.</summary>
    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var model in _models.Values)
        {
            try
            {
                await model.LoadAsync(force: false, cancellationToken).ConfigureAwait(false);
            }
            catch (InferenceException)
            {
                // Logged, and shown in the index and by readiness; the host starts anyway.
            }

            model.StartPolling(_options.RegistryPollInterval);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var model in _models.Values)
        {
            await model.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    // For a container disposed synchronously: the drain waits only on forward passes already running.
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task<InferenceResponse> InferServedAsync(ServedModel served, string? version, InferenceRequest request, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        using var activity = ServingMetrics.ActivitySource.StartActivity("model_infer");
        activity?.SetTag("model", served.Name);
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            foreach (var enricher in _enrichers)
            {
                request = await enricher.EnrichAsync(served.Name, request, linked.Token).ConfigureAwait(false);
            }

            var response = await served.InferAsync(version, request, _options.MaxRowsPerRequest, linked.Token).ConfigureAwait(false);
            _metrics.RequestSucceeded(served.Name, response.ModelVersion, _timeProvider.GetElapsedTime(started));
            activity?.SetTag("version", response.ModelVersion);
            return response;
        }
        catch (InferenceException e)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
            _metrics.RequestFailed(served.Name, version ?? served.Current?.Version, e.Kind, _timeProvider.GetElapsedTime(started));
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _metrics.RequestFailed(served.Name, version ?? served.Current?.Version, InferenceErrorKind.Timeout, _timeProvider.GetElapsedTime(started));
            throw new InferenceException(InferenceErrorKind.Timeout, $"model '{served.Name}' did not answer within the request timeout ({_options.RequestTimeout}).");
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // An enricher's failure that is not a verdict on the request is the server's fault.
            _metrics.RequestFailed(served.Name, version ?? served.Current?.Version, InferenceErrorKind.ModelFailed, _timeProvider.GetElapsedTime(started));
            _logger.LogError(e, "A request to model {Model} failed before it ran.", served.Name);
            throw new InferenceException(InferenceErrorKind.ModelFailed, $"model '{served.Name}': the request could not be prepared: {e.Message}", innerException: e);
        }
    }

    // The copy runs on the thread pool with the server's lifetime, not the caller's: the caller neither waits for it
    // nor sees its errors, which are logged and counted as the mirror model's failures.
    private void Mirror(string mirror, InferenceRequest request) => _ = Task.Run(async () =>
    {
        Exception? error = null;
        try
        {
            await InferServedAsync(_models[mirror], null, request, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error = e;
            _logger.LogWarning(e, "The mirror {Mirror} failed a copied request; the caller was not affected.", mirror);
        }

        MirrorCompleted?.Invoke(mirror, error);
    });

    private ServedModel Find(string model, string? version) =>
        _models.TryGetValue(model, out var served) ? served : throw InferenceException.ModelNotFound(model, version is null ? null : version);

    private ServedModel FindForRepository(string model) => _models.TryGetValue(model, out var served)
        ? served
        : throw new InferenceException(InferenceErrorKind.ModelNotFound, _experiments.ContainsKey(model)
            ? $"'{model}' is a traffic experiment, not a model; load or unload its candidates."
            : $"model '{model}' is not configured here (configured: {string.Join(", ", _models.Keys.Order(StringComparer.Ordinal))}).");

    private static string ReadVersion()
    {
        var version = typeof(ServingInferenceService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
