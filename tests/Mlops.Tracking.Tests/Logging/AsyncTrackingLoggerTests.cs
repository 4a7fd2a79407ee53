using Mlops.Testing.Tracking;
using Mlops.Tracking.Logging;
using Mlops.Tracking.Stores;

namespace Mlops.Tracking.Tests.Logging;

public class AsyncTrackingLoggerTests
{
    /// <summary>Counts the batches a store receives and checks each is within MLflow's limits.</summary>
    private sealed class CountingStore(ITrackingStore inner) : DelegatingStore(inner)
    {
        public int Batches;

        public override Task LogBatchAsync(string runId, IReadOnlyList<RunMetric>? metrics, IReadOnlyList<Param>? parameters, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Batches);
            Assert.True((metrics?.Count ?? 0) <= 1000 && (parameters?.Count ?? 0) <= 100 && (tags?.Count ?? 0) <= 100);
            return base.LogBatchAsync(runId, metrics, parameters, tags, cancellationToken);
        }
    }

    [Fact]
    public async Task Queued_values_are_batched_within_limits_and_flushed()
    {
        var store = new CountingStore(new InMemoryTrackingStore());
        var run = (await store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        await using var logger = new AsyncTrackingLogger(store, capacity: 500, flushInterval: TimeSpan.FromMilliseconds(20));
        for (var i = 0; i < 5000; i++)
        {
            logger.LogMetric(run, "loss", i, step: i, timestamp: i);
        }

        for (var i = 0; i < 150; i++)
        {
            logger.LogParam(run, "p" + i, i);
            logger.SetTag(run, "t" + i, "v");
        }

        await logger.FlushAsync();
        var history = await store.GetMetricHistoryAsync(run, "loss");
        Assert.Equal(5000, history.Count);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => (double)i), history.Select(m => m.Value));
        Assert.Equal(150, (await store.GetRunAsync(run)).Data.Params.Count);
        Assert.True(store.Batches < 5000 / 10, $"{store.Batches} batches for 5000 metrics: values were not batched");
    }

    [Fact]
    public async Task A_failed_send_surfaces_on_the_next_call_flush_and_dispose()
    {
        var store = new InMemoryTrackingStore();
        var run = (await store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        var logger = new AsyncTrackingLogger(store, flushInterval: TimeSpan.FromMilliseconds(5));
        logger.LogParam(run, "lr", 0.1);
        await logger.FlushAsync();
        logger.LogParam(run, "lr", 0.2);
        var error = await Assert.ThrowsAsync<MlopsException>(() => logger.FlushAsync());
        Assert.Contains("Changing param values is not allowed", error.Message, StringComparison.Ordinal);
        Assert.IsType<MlflowException>(logger.Failure);
        Assert.Throws<MlopsException>(() => logger.LogMetric(run, "m", 1));
        await Assert.ThrowsAsync<MlopsException>(async () => await logger.DisposeAsync());
    }

    [Fact]
    public void Ending_a_run_flushes_its_background_logger_and_fails_the_run_on_errors()
    {
        using var tracking = new TrackingClient(new InMemoryTrackingStore()) { AsyncFlushInterval = TimeSpan.FromMilliseconds(5) };
        string okId;
        using (var run = tracking.StartRun("ok"))
        {
            okId = run.RunId;
            for (var i = 0; i < 2500; i++)
            {
                run.Background.LogMetric("acc", i / 2500.0, step: i);
            }
        }

        Assert.Equal(2500, tracking.GetMetricHistory(okId, "acc").Count);
        Assert.Equal(RunStatus.Finished, tracking.GetRun(okId).Info.Status);

        var bad = tracking.StartRun("bad");
        bad.LogParam("p", 1);
        bad.Background.LogParam("p", 2);
        Assert.Contains("Changing param values", Assert.Throws<MlopsException>(() => bad.Dispose()).Message, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Failed, tracking.GetRun(bad.RunId).Info.Status);
    }
}

/// <summary>A store that forwards every call, for tests that watch one method.</summary>
public abstract class DelegatingStore(ITrackingStore inner) : ITrackingStore
{
    public string DefaultArtifactRoot => inner.DefaultArtifactRoot;

    public Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default) => inner.CreateExperimentAsync(name, artifactLocation, tags, cancellationToken);

    public Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default) => inner.GetExperimentAsync(experimentId, cancellationToken);

    public Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default) => inner.GetExperimentByNameAsync(name, cancellationToken);

    public Task<PagedList<Experiment>> SearchExperimentsAsync(ViewType viewType = ViewType.ActiveOnly, int maxResults = 1000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, string? filter = null, CancellationToken cancellationToken = default) => inner.SearchExperimentsAsync(viewType, maxResults, orderBy, pageToken, filter, cancellationToken);

    public Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default) => inner.DeleteExperimentAsync(experimentId, cancellationToken);

    public Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default) => inner.RestoreExperimentAsync(experimentId, cancellationToken);

    public Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default) => inner.RenameExperimentAsync(experimentId, newName, cancellationToken);

    public Task SetExperimentTagAsync(string experimentId, RunTag tag, CancellationToken cancellationToken = default) => inner.SetExperimentTagAsync(experimentId, tag, cancellationToken);

    public Task<Run> CreateRunAsync(string experimentId, string? userId, long startTime, string? runName, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default) => inner.CreateRunAsync(experimentId, userId, startTime, runName, tags, cancellationToken);

    public Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default) => inner.GetRunAsync(runId, cancellationToken);

    public Task<RunInfo> UpdateRunInfoAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken cancellationToken = default) => inner.UpdateRunInfoAsync(runId, status, endTime, runName, cancellationToken);

    public Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default) => inner.DeleteRunAsync(runId, cancellationToken);

    public Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default) => inner.RestoreRunAsync(runId, cancellationToken);

    public virtual Task LogBatchAsync(string runId, IReadOnlyList<RunMetric>? metrics, IReadOnlyList<Param>? parameters, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default) => inner.LogBatchAsync(runId, metrics, parameters, tags, cancellationToken);

    public Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default) => inner.DeleteTagAsync(runId, key, cancellationToken);

    public Task<IReadOnlyList<RunMetric>> GetMetricHistoryAsync(string runId, string metricKey, CancellationToken cancellationToken = default) => inner.GetMetricHistoryAsync(runId, metricKey, cancellationToken);

    public Task<PagedList<Run>> SearchRunsAsync(IReadOnlyList<string> experimentIds, string? filter = null, ViewType viewType = ViewType.ActiveOnly, int maxResults = 1000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default) => inner.SearchRunsAsync(experimentIds, filter, viewType, maxResults, orderBy, pageToken, cancellationToken);
}
