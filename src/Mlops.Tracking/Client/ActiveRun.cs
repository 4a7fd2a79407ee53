using System.Runtime.InteropServices;
using Mlops.Tracking.Artifacts;

namespace Mlops.Tracking;

/// <summary>
/// A run started by <see cref="TrackingClient.StartRun"/>. Disposing it ends the run: FINISHED, or FAILED when a
/// <c>using</c> block is left by an exception. Ending it explicitly with <see cref="End"/> wins over both.
/// </summary>
public sealed class ActiveRun : IDisposable, IAsyncDisposable
{
    private readonly TrackingClient _client;
    private readonly Lazy<Logging.BackgroundRunLogger> _background;
    private int _ended;

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
    public Logging.BackgroundRunLogger Background => _background.Value;

    /// <summary>The run's info as it was at start.</summary>
    public RunInfo Info { get; }

    /// <summary>The run's id.</summary>
    public string RunId => Info.RunId;

    /// <summary>The client that started the run.</summary>
    public TrackingClient Client => _client;

    /// <summary>True once the run has been ended.</summary>
    public bool IsEnded => Volatile.Read(ref _ended) != 0;

    /// <summary>Logs a param (immutable once logged).</summary>
    public void LogParam(string key, object? value) => _client.LogParam(RunId, key, value);

    /// <summary>Logs a param (immutable once logged).</summary>
    public Task LogParamAsync(string key, object? value, CancellationToken cancellationToken = default) => _client.LogParamAsync(RunId, key, value, cancellationToken);

    /// <summary>Logs several params in one request.</summary>
    public void LogParams(IReadOnlyDictionary<string, object?> parameters) =>
        _client.LogBatch(RunId, parameters: parameters.Select(p => new Param(p.Key, TrackingClient.FormatParam(p.Value))).ToList());

    /// <summary>Logs one value of a metric.</summary>
    public void LogMetric(string key, double value, long? step = null, long? timestamp = null) => _client.LogMetric(RunId, key, value, step, timestamp);

    /// <summary>Logs one value of a metric.</summary>
    public Task LogMetricAsync(string key, double value, long? step = null, long? timestamp = null, CancellationToken cancellationToken = default) =>
        _client.LogMetricAsync(RunId, key, value, step, timestamp, cancellationToken);

    /// <summary>Logs several metrics at one step and timestamp in one request.</summary>
    public void LogMetrics(IReadOnlyDictionary<string, double> metrics, long? step = null)
    {
        var now = _client.NowMs();
        _client.LogBatch(RunId, metrics.Select(m => new Metric(m.Key, m.Value, now, step ?? 0)).ToList());
    }

    /// <summary>Sets a tag.</summary>
    public void SetTag(string key, string value) => _client.SetTag(RunId, key, value);

    /// <summary>Sets a tag.</summary>
    public Task SetTagAsync(string key, string value, CancellationToken cancellationToken = default) => _client.SetTagAsync(RunId, key, value, cancellationToken);

    /// <summary>Logs metrics, params and tags, split within MLflow's limits.</summary>
    public void LogBatch(IReadOnlyList<Metric>? metrics = null, IReadOnlyList<Param>? parameters = null, IReadOnlyList<RunTag>? tags = null) =>
        _client.LogBatch(RunId, metrics, parameters, tags);

    /// <summary>Logs metrics, params and tags, split within MLflow's limits.</summary>
    public Task LogBatchAsync(IReadOnlyList<Metric>? metrics = null, IReadOnlyList<Param>? parameters = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default) =>
        _client.LogBatchAsync(RunId, metrics, parameters, tags, cancellationToken);

    /// <summary>Uploads a local file into the run's artifacts.</summary>
    public void LogArtifact(string localFile, string? artifactPath = null) => Artifacts.LogArtifact(localFile, artifactPath);

    /// <summary>Uploads a local file into the run's artifacts.</summary>
    public Task LogArtifactAsync(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default) =>
        Artifacts.LogArtifactAsync(localFile, artifactPath, cancellationToken);

    /// <summary>Uploads a local folder into the run's artifacts.</summary>
    public void LogArtifacts(string localDirectory, string? artifactPath = null) => Artifacts.LogArtifacts(localDirectory, artifactPath);

    /// <summary>Logs a model (through its flavor) under an artifact path, optionally registering it; see <see cref="TrackingClient.LogModel"/>.</summary>
    public LoggedModel LogModel(object model, string artifactPath = "model", Models.ModelSignature? signature = null, object? inputExample = null, string? registeredModelName = null) =>
        _client.LogModel(RunId, model, artifactPath, signature, inputExample, registeredModelName);

    /// <summary>Logs a model; see <see cref="TrackingClient.LogModel"/>.</summary>
    public Task<LoggedModel> LogModelAsync(object model, string artifactPath = "model", Models.ModelSignature? signature = null, object? inputExample = null, string? registeredModelName = null, CancellationToken cancellationToken = default) =>
        _client.LogModelAsync(RunId, model, artifactPath, signature, inputExample, registeredModelName, cancellationToken);

    /// <summary>The run's artifact repository.</summary>
    public ArtifactRepository Artifacts => _client.Artifacts(Info.ArtifactUri);

    /// <summary>Ends the run with a status; later calls and the dispose do nothing.</summary>
    public void End(RunStatus status = RunStatus.Finished) => TrackingClient.Wait(EndAsync(status));

    /// <summary>Ends the run with a status; later calls and the dispose do nothing.</summary>
    public async Task EndAsync(RunStatus status = RunStatus.Finished, CancellationToken cancellationToken = default)
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

    /// <summary>Ends the run FINISHED, or FAILED if an exception is unwinding through the using block.</summary>
    public void Dispose()
    {
        // Non-zero exactly while an exception is being dispatched through this frame (a finally during unwinding).
        var failing = Marshal.GetExceptionPointers() != IntPtr.Zero;
        End(failing ? RunStatus.Failed : RunStatus.Finished);
    }

    /// <summary>Ends the run FINISHED unless it was ended already (use <see cref="TrackingClient.RunAsync"/> to get FAILED on exceptions).</summary>
    public async ValueTask DisposeAsync() => await EndAsync(RunStatus.Finished).ConfigureAwait(false);
}
