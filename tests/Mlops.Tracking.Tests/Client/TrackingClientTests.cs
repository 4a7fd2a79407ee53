using Microsoft.Extensions.Time.Testing;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Client;

public sealed class TrackingClientTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
    private readonly TrackingClient _tracking;

    public TrackingClientTests()
    {
        _tracking = new TrackingClient("sqlite:///" + _folder.Combine("mlflow.db").TrimStart('/').Insert(0, "/"), timeProvider: _time);
    }

    public void Dispose()
    {
        _tracking.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void Using_a_run_ends_it_finished_with_its_params_metrics_and_times()
    {
        string runId;
        using (var run = _tracking.StartRun("recommendation_engine"))
        {
            runId = run.RunId;
            run.LogParam("learning_rate", 0.01);
            run.LogParam("epochs", 10);
            run.LogParam("shuffle", true);
            for (var epoch = 0; epoch < 3; epoch++)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                run.LogMetric("accuracy", 0.8 + (epoch * 0.01), step: epoch);
            }

            run.LogMetrics(new Dictionary<string, double> { ["loss"] = 0.3, ["auc"] = 0.9 }, step: 3);
            run.SetTag("stage", "dev");
            Assert.Equal(RunStatus.Running, _tracking.GetRun(runId).Info.Status);
        }

        var stored = _tracking.GetRun(runId);
        Assert.Equal(RunStatus.Finished, stored.Info.Status);
        Assert.Equal("recommendation_engine", stored.Info.RunName);
        Assert.Equal(1_700_000_000_000, stored.Info.StartTime);
        Assert.Equal(1_700_000_003_000, stored.Info.EndTime);
        Assert.Equal("0.01", stored.Data.Params["learning_rate"]);
        Assert.Equal("10", stored.Data.Params["epochs"]);
        Assert.Equal("True", stored.Data.Params["shuffle"]);
        Assert.Equal(0.82, stored.Data.GetMetric("accuracy")!.Value, 10);
        Assert.Equal(0.3, stored.Data.GetMetric("loss"));
        Assert.Equal("dev", stored.Data.Tags["stage"]);
        Assert.Equal(3, _tracking.GetMetricHistory(runId, "accuracy").Count);

        var best = _tracking.SearchRuns(["0"], filter: "metrics.accuracy > 0.8", orderBy: ["metrics.accuracy DESC"])[0];
        Assert.Equal(runId, best.Info.RunId);
    }

    [Fact]
    public async Task Dispose_and_DisposeAsync_both_end_the_run_finished_unless_it_was_failed_explicitly()
    {
        // A dispose cannot see an exception, so both disposes end the run FINISHED: failure is said with Fail/FailAsync.
        string? syncId = null;
        Assert.Throws<InvalidOperationException>((Action)(() =>
        {
            using var run = _tracking.StartRun("sync");
            syncId = run.RunId;
            throw new InvalidOperationException("training diverged");
        }));
        Assert.Equal(RunStatus.Finished, _tracking.GetRun(syncId!).Info.Status);

        string? asyncId = null;
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var run = await _tracking.StartRunAsync("async");
            asyncId = run.RunId;
            throw new InvalidOperationException("training diverged");
        });
        Assert.Equal(RunStatus.Finished, (await _tracking.GetRunAsync(asyncId!)).Info.Status);

        string failedSync;
        using (var run = _tracking.StartRun("failed-sync"))
        {
            failedSync = run.RunId;
            try
            {
                throw new InvalidOperationException("x");
            }
            catch (InvalidOperationException)
            {
                run.Fail();
            }
        }

        Assert.Equal(RunStatus.Failed, _tracking.GetRun(failedSync).Info.Status);

        string failedAsync;
        await using (var run = await _tracking.StartRunAsync("failed-async"))
        {
            failedAsync = run.RunId;
            await run.FailAsync();
            Assert.True(run.IsEnded);
        }

        Assert.Equal(RunStatus.Failed, (await _tracking.GetRunAsync(failedAsync)).Info.Status);
    }

    [Fact]
    public void Run_ends_failed_on_exception_and_finished_otherwise()
    {
        string? failedId = null;
        Assert.Throws<InvalidOperationException>(() => _tracking.Run<int>("a", run =>
        {
            failedId = run.RunId;
            throw new InvalidOperationException("x");
        }));
        Assert.Equal(RunStatus.Failed, _tracking.GetRun(failedId!).Info.Status);

        var okId = _tracking.Run("b", run =>
        {
            run.LogMetric("m", 1);
            return run.RunId;
        });
        Assert.Equal(RunStatus.Finished, _tracking.GetRun(okId).Info.Status);
    }

    [Fact]
    public async Task RunAsync_ends_failed_on_exception_and_finished_otherwise()
    {
        string? failedId = null;
        await Assert.ThrowsAsync<InvalidOperationException>(() => _tracking.RunAsync<int>("a", run =>
        {
            failedId = run.RunId;
            throw new InvalidOperationException("x");
        }));
        Assert.Equal(RunStatus.Failed, (await _tracking.GetRunAsync(failedId!)).Info.Status);

        var okId = await _tracking.RunAsync("b", async run =>
        {
            await run.LogMetricAsync("m", 1);
            return run.RunId;
        });
        Assert.Equal(RunStatus.Finished, (await _tracking.GetRunAsync(okId)).Info.Status);

        await using (var run = await _tracking.StartRunAsync("c"))
        {
            await run.EndAsync(RunStatus.Killed);
            okId = run.RunId;
        }

        Assert.Equal(RunStatus.Killed, (await _tracking.GetRunAsync(okId)).Info.Status);
    }

    [Fact]
    public void Nested_runs_and_experiments_by_name()
    {
        var experimentId = _tracking.GetOrCreateExperiment("recsys");
        Assert.Equal(experimentId, _tracking.GetOrCreateExperiment("recsys"));
        using (var parent = _tracking.StartRun("parent", experimentId))
        {
            using var child = _tracking.StartRun("child", experimentId, parentRunId: parent.RunId);
            Assert.Equal(parent.RunId, _tracking.GetRun(child.RunId).Data.Tags[MlflowTags.ParentRunId]);
            Assert.Single(_tracking.SearchRuns([experimentId], $"tags.mlflow.parentRunId = '{parent.RunId}'"));
            Assert.Throws<MlflowException>(() => _tracking.StartRun("orphan", experimentId, parentRunId: "0123456789abcdef0123456789abcdef"));
        }

        _tracking.DeleteExperiment(experimentId);
        Assert.Throws<MlflowException>(() => _tracking.GetOrCreateExperiment("recsys"));
    }

    [Fact]
    public void Log_batch_splits_any_size_within_limits()
    {
        using var run = _tracking.StartRun();
        var metrics = Enumerable.Range(0, 2500).Select(i => new RunMetric("m", i, i, i)).ToList();
        var parameters = Enumerable.Range(0, 250).Select(i => new Param("p" + i, "v" + i)).ToList();
        var tags = Enumerable.Range(0, 130).Select(i => new RunTag("t" + i, "v")).ToList();
        run.LogBatch(metrics, parameters, tags);
        var stored = _tracking.GetRun(run.RunId);
        Assert.Equal(250, stored.Data.Params.Count);
        Assert.Equal(2499, stored.Data.GetMetric("m"));
        Assert.Equal(2500, _tracking.GetMetricHistory(run.RunId, "m").Count);
        Assert.True(stored.Data.Tags.Count >= 130);
    }

    [Fact]
    public void Changing_a_param_is_refused_with_invalid_parameter_value()
    {
        using var run = _tracking.StartRun();
        run.LogParam("lr", 0.1);
        run.LogParam("lr", 0.1);
        var error = Assert.Throws<MlflowException>(() => run.LogParam("lr", 0.2));
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, error.ErrorCode);
    }

    [Fact]
    public async Task Search_runs_takes_its_parameters_in_the_order_of_the_store()
    {
        using (var run = _tracking.StartRun("a"))
        {
            run.LogMetric("acc", 0.5);
        }

        using (var run = _tracking.StartRun("b"))
        {
            run.LogMetric("acc", 0.9);
        }

        var viaClient = _tracking.SearchRuns(["0"], "metrics.acc > 0", ViewType.ActiveOnly, 1, ["metrics.acc DESC"]);
        var viaStore = await _tracking.Store.SearchRunsAsync(["0"], "metrics.acc > 0", ViewType.ActiveOnly, 1, ["metrics.acc DESC"]);
        Assert.Equal("b", viaClient[0].Info.RunName);
        Assert.Equal(viaStore.Select(r => r.Info.RunId), viaClient.Select(r => r.Info.RunId));
        Assert.Equal(viaStore.NextPageToken, viaClient.NextPageToken);
    }

    [Fact]
    public void Registry_is_non_null_with_a_registry_store_and_a_clear_error_without_one()
    {
        Assert.True(_tracking.HasRegistry);
        Assert.Same(_tracking.Registry, _tracking.Registry);
        using var bare = new TrackingClient(new Mlops.Testing.Tracking.InMemoryTrackingStore());
        Assert.False(bare.HasRegistry);
        var error = Assert.Throws<InvalidOperationException>(() => bare.Registry);
        Assert.Contains("no model registry", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Experiment_names_taken_are_resource_already_exists_in_every_store()
    {
        _tracking.CreateExperiment("taken");
        Assert.Equal(MlflowErrorCodes.ResourceAlreadyExists, Assert.Throws<MlflowException>(() => _tracking.CreateExperiment("taken")).ErrorCode);
        using var memory = new TrackingClient(new Mlops.Testing.Tracking.InMemoryTrackingStore(), new Mlops.Testing.Tracking.InMemoryModelRegistryStore());
        memory.CreateExperiment("taken");
        Assert.Equal(MlflowErrorCodes.ResourceAlreadyExists, Assert.Throws<MlflowException>(() => memory.CreateExperiment("taken")).ErrorCode);
        memory.Registry.CreateRegisteredModel("m");
        Assert.Equal(MlflowErrorCodes.ResourceAlreadyExists, Assert.Throws<MlflowException>(() => memory.Registry.CreateRegisteredModel("m")).ErrorCode);
    }

    [Fact]
    public void Unsupported_tracking_uris_are_refused()
    {
        Assert.Throws<MlflowException>(() => new TrackingClient("ftp://x"));
    }
}
