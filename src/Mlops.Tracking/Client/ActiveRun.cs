using Mlops.Tracking.Artifacts;

namespace Mlops.Tracking;

/// <summary>
/// A run started by <see cref="TrackingClient.StartRun"/>. <see cref="Dispose()"/> and <see cref="DisposeAsync"/> behave
/// the same: they end the run FINISHED unless it was ended already with <see cref="End"/> or <see cref="Fail"/>.
/// C# gives a dispose no sight of an exception passing through the <c>using</c> block, so a failure is said
/// explicitly: call <see cref="Fail"/> in a <c>catch</c>, or run the body through <see cref="TrackingClient.Run{T}"/> /
/// <see cref="TrackingClient.RunAsync{T}"/>, which end the run FAILED when the body throws.
/// </summary>
/// <remarks>
/// Members are virtual and a protected constructor exists so tests can substitute a run; a run from
/// <see cref="TrackingClient.StartRun"/> is the real one. Sync members block on their async twins and take their own
/// <see cref="CancellationToken"/>.
/// </remarks>
public class ActiveRun : IDisposable, IAsyncDisposable
{
    private readonly TrackingClient _client;
    private readonly Lazy<Logging.BackgroundRunLogger> _background;
    private int _ended;

    /// <summary>For mocking: a run with no client; override the members a test uses.</summary>
    protected ActiveRun()
    {
        _client = null!;
        Info = null!;
        _background = null!;
    }

    internal ActiveRun(TrackingClient client, RunInfo info)
    {
        _client = client;
        Info = info;
        _background = new Lazy<Logging.BackgroundRunLogger>(() => new Logging.BackgroundRunLogger(
            new Logging.AsyncTrackingLogger(client.Store, client.AsyncQueueCapacity, client.AsyncFlushInterval, client.TimeProvider), info.RunId));
    }

    /// <summary>
    /// Asynchronous logging for hot loops: <c>run.Background.LogMetric(...)</c> returns at once; values are stored in
    /// batches and flushed when the run ends (a failure to store them makes the end throw and the run FAILED).
    /// </summary>
    public virtual Logging.BackgroundRunLogger Background => _background.Value;

    /// <summary>The run's info as it was at start.</summary>
    public virtual RunInfo Info { get; }

    /// <summary>The run's id.</summary>
    public virtual string RunId => Info.RunId;

    /// <summary>The client that started the run.</summary>
    public virtual TrackingClient Client => _client;

    /// <summary>True once the run has been ended.</summary>
    public virtual bool IsEnded => Volatile.Read(ref _ended) != 0;

    /// <summary>Logs a param (immutable once logged).</summary>
    public virtual void LogParam(string key, object? value, CancellationToken cancellationToken = default) => _client.LogParam(RunId, key, value, cancellationToken);

    /// <summary>Logs a param (immutable once logged).</summary>
    public virtual Task LogParamAsync(string key, object? value, CancellationToken cancellationToken = default) => _client.LogParamAsync(RunId, key, value, cancellationToken);

    /// <summary>Logs several params in one request.</summary>
    public virtual void LogParams(IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken = default) =>
        _client.LogBatch(RunId, parameters: ToParams(parameters), cancellationToken: cancellationToken);

    /// <summary>Logs several params in one request.</summary>
    public virtual Task LogParamsAsync(IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken = default) =>
        _client.LogBatchAsync(RunId, parameters: ToParams(parameters), cancellationToken: cancellationToken);

    /// <summary>Logs one value of a metric.</summary>
    public virtual void LogMetric(string key, double value, long? step = null, long? timestamp = null, CancellationToken cancellationToken = default) => _client.LogMetric(RunId, key, value, step, timestamp, cancellationToken);

    /// <summary>Logs one value of a metric.</summary>
    public virtual Task LogMetricAsync(string key, double value, long? step = null, long? timestamp = null, CancellationToken cancellationToken = default) =>
        _client.LogMetricAsync(RunId, key, value, step, timestamp, cancellationToken);

    /// <summary>Logs several metrics at one step and timestamp in one request.</summary>
    public virtual void LogMetrics(IReadOnlyDictionary<string, double> metrics, long? step = null, CancellationToken cancellationToken = default) =>
        _client.LogBatch(RunId, ToMetrics(metrics, step), cancellationToken: cancellationToken);

    /// <summary>Logs several metrics at one step and timestamp in one request.</summary>
    public virtual Task LogMetricsAsync(IReadOnlyDictionary<string, double> metrics, long? step = null, CancellationToken cancellationToken = default) =>
        _client.LogBatchAsync(RunId, ToMetrics(metrics, step), cancellationToken: cancellationToken);

    /// <summary>Sets a tag.</summary>
    public virtual void SetTag(string key, string value, CancellationToken cancellationToken = default) => _client.SetTag(RunId, key, value, cancellationToken);

    /// <summary>Sets a tag.</summary>
    public virtual Task SetTagAsync(string key, string value, CancellationToken cancellationToken = default) => _client.SetTagAsync(RunId, key, value, cancellationToken);

    /// <summary>Logs metrics, params and tags, split within MLflow's limits.</summary>
    public virtual void LogBatch(IReadOnlyList<RunMetric>? metrics = null, IReadOnlyList<Param>? parameters = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default) =>
        _client.LogBatch(RunId, metrics, parameters, tags, cancellationToken);

    /// <summary>Logs metrics, params and tags, split within MLflow's limits.</summary>
    public virtual Task LogBatchAsync(IReadOnlyList<RunMetric>? metrics = null, IReadOnlyList<Param>? parameters = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default) =>
        _client.LogBatchAsync(RunId, metrics, parameters, tags, cancellationToken);

    /// <summary>Uploads a local file into the run's artifacts.</summary>
    public virtual void LogArtifact(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default) => Artifacts.LogArtifact(localFile, artifactPath, cancellationToken);

    /// <summary>Uploads a local file into the run's artifacts.</summary>
    public virtual Task LogArtifactAsync(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default) =>
        Artifacts.LogArtifactAsync(localFile, artifactPath, cancellationToken);

    /// <summary>Uploads a local folder into the run's artifacts.</summary>
    public virtual void LogArtifacts(string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default) => Artifacts.LogArtifacts(localDirectory, artifactPath, cancellationToken);

    /// <summary>Logs a model (through its flavor) under an artifact path, optionally registering it; see <see cref="TrackingClient.LogModel"/>.</summary>
    public virtual LoggedModel LogModel(object model, string artifactPath = "model", Models.ModelSignature? signature = null, object? inputExample = null, string? registeredModelName = null, CancellationToken cancellationToken = default) =>
        _client.LogModel(RunId, model, artifactPath, signature, inputExample, registeredModelName, cancellationToken);

    /// <summary>Logs a model; see <see cref="TrackingClient.LogModel"/>.</summary>
    public virtual Task<LoggedModel> LogModelAsync(object model, string artifactPath = "model", Models.ModelSignature? signature = null, object? inputExample = null, string? registeredModelName = null, CancellationToken cancellationToken = default) =>
        _client.LogModelAsync(RunId, model, artifactPath, signature, inputExample, registeredModelName, cancellationToken);

    /// <summary>The run's artifact repository.</summary>
    public virtual ArtifactRepository Artifacts => _client.Artifacts(Info.ArtifactUri);

    private static List<Param> ToParams(IReadOnlyDictionary<string, object?> parameters) =>
        parameters.Select(p => new Param(p.Key, TrackingClient.FormatParam(p.Value))).ToList();

    private List<RunMetric> ToMetrics(IReadOnlyDictionary<string, double> metrics, long? step)
    {
        var now = _client.NowMs();
        return metrics.Select(m => new RunMetric(m.Key, m.Value, now, step ?? 0)).ToList();
    }

    /// <summary>Ends the run with a status, blocking until it is stored; later calls and the dispose do nothing.</summary>
    /// <param name="status">FINISHED (the default), FAILED or KILLED.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    public virtual void End(RunStatus status = RunStatus.Finished, CancellationToken cancellationToken = default) =>
        TrackingClient.Wait(EndAsync(status, cancellationToken));

    /// <summary>Ends the run FAILED, blocking until it is stored: call it in a <c>catch</c> (the dispose then does nothing).</summary>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    public virtual void Fail(CancellationToken cancellationToken = default) => End(RunStatus.Failed, cancellationToken);

    /// <summary>Ends the run FAILED: call it in a <c>catch</c> (the dispose then does nothing).</summary>
    /// <param name="cancellationToken">Cancels the store call.</param>
    /// <returns>A task that completes when the status is stored.</returns>
    public virtual Task FailAsync(CancellationToken cancellationToken = default) => EndAsync(RunStatus.Failed, cancellationToken);

    /// <summary>Ends the run with a status; later calls and the dispose do nothing.</summary>
    /// <param name="status">FINISHED (the default), FAILED or KILLED.</param>
    /// <param name="cancellationToken">Cancels the store call.</param>
    /// <returns>A task that completes when the status is stored.</returns>
    public virtual async Task EndAsync(RunStatus status = RunStatus.Finished, CancellationToken cancellationToken = default)
    {
        if (!status.IsTerminated())
        {
            throw new ArgumentException($"A run ends FINISHED, FAILED or KILLED, not {status.ToMlflow()}.", nameof(status));
        }

        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        Exception? failure = null;
        if (_background.IsValueCreated)
        {
            try
            {
                await _background.Value.Queue.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failure = e;
                status = RunStatus.Failed;
            }
        }

        await _client.SetTerminatedAsync(RunId, status, null, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            throw failure;
        }
    }

    /// <summary>Ends the run FINISHED unless <see cref="End"/> or <see cref="Fail"/> ended it already; the same as <see cref="DisposeAsync"/>.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Ends the run FINISHED unless <see cref="EndAsync"/> or <see cref="FailAsync"/> ended it already; the same as <see cref="Dispose()"/>.</summary>
    /// <returns>A task that completes when the status is stored.</returns>
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Ends the run FINISHED unless it was ended already.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            End(RunStatus.Finished);
        }
    }

    /// <summary>Ends the run FINISHED unless it was ended already.</summary>
    /// <returns>A task that completes when the status is stored.</returns>
    protected virtual async ValueTask DisposeAsyncCore() => await EndAsync(RunStatus.Finished).ConfigureAwait(false);
}
