using Mlops.Tracking.Stores;

namespace Mlops.Tracking.Tests.Stores;

/// <summary>
/// The semantics every <see cref="ITrackingStore"/> must have (experiments, runs, params, the latest-metric rule,
/// limits, lifecycle); run against the SQLite store and Mlops.Testing's in-memory store. Search has its own contract,
/// <see cref="Search.SearchContractTests"/>.
/// </summary>
public abstract class TrackingStoreContract : IDisposable
{
    private ITrackingStore? _store;

    /// <summary>The store under test, created on first use.</summary>
    protected ITrackingStore Store => _store ??= CreateStore();

    public void Dispose()
    {
        (_store as IDisposable)?.Dispose();
        DisposeResources();
        GC.SuppressFinalize(this);
    }

    protected abstract ITrackingStore CreateStore();

    protected virtual void DisposeResources()
    {
    }

    [Fact]
    public async Task Experiments_create_get_rename_tag_delete_restore()
    {
        var id = await Store.CreateExperimentAsync("exp", tags: [new RunTag("team", "recsys")]);
        var experiment = await Store.GetExperimentAsync(id);
        Assert.Equal("exp", experiment.Name);
        Assert.Equal(Store.DefaultArtifactRoot + "/" + id, experiment.ArtifactLocation);
        Assert.Equal("recsys", experiment.Tags["team"]);

        var duplicate = await Assert.ThrowsAsync<MlflowException>(() => Store.CreateExperimentAsync("exp"));
        Assert.Equal(MlflowErrorCodes.ResourceAlreadyExists, duplicate.ErrorCode);

        await Store.RenameExperimentAsync(id, "exp2");
        Assert.Null(await Store.GetExperimentByNameAsync("exp"));
        Assert.Equal(id, (await Store.GetExperimentByNameAsync("exp2"))!.ExperimentId);

        await Store.SetExperimentTagAsync(id, new RunTag("team", "search"));
        Assert.Equal("search", (await Store.GetExperimentAsync(id)).Tags["team"]);

        var run = await Store.CreateRunAsync(id, "u", 1, "r", null);
        await Store.DeleteExperimentAsync(id);
        Assert.Equal(LifecycleStage.Deleted, (await Store.GetExperimentAsync(id)).LifecycleStage);
        Assert.Equal(LifecycleStage.Deleted, (await Store.GetRunAsync(run.Info.RunId)).Info.LifecycleStage);
        Assert.DoesNotContain((await Store.SearchExperimentsAsync()).Items, e => e.ExperimentId == id);
        Assert.Contains((await Store.SearchExperimentsAsync(ViewType.DeletedOnly)).Items, e => e.ExperimentId == id);
        await Assert.ThrowsAsync<MlflowException>(() => Store.CreateRunAsync(id, "u", 1, null, null));

        await Store.RestoreExperimentAsync(id);
        Assert.Equal(LifecycleStage.Active, (await Store.GetRunAsync(run.Info.RunId)).Info.LifecycleStage);

        var missing = await Assert.ThrowsAsync<MlflowException>(() => Store.GetExperimentAsync("999"));
        Assert.Equal(404, missing.HttpStatusCode);
        Assert.Contains("999", missing.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<MlflowException>(() => Store.DeleteExperimentAsync("0"));
    }

    [Fact]
    public async Task Search_experiments_pages_and_orders()
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.CreateExperimentAsync("e" + i);
        }

        var first = await Store.SearchExperimentsAsync(maxResults: 4, orderBy: ["name DESC"]);
        Assert.Equal(["e4", "e3", "e2", "e1"], first.Items.Select(e => e.Name));
        var second = await Store.SearchExperimentsAsync(maxResults: 4, orderBy: ["name DESC"], pageToken: first.NextPageToken);
        Assert.Equal(["e0", "Default"], second.Items.Select(e => e.Name));
        Assert.Null(second.NextPageToken);
        await Assert.ThrowsAsync<MlflowException>(() => Store.SearchExperimentsAsync(orderBy: ["colour"]));
    }

    [Fact]
    public async Task Runs_have_info_tags_and_name_and_update_status()
    {
        var run = await Store.CreateRunAsync("0", "alice", 1000, "my-run", [new RunTag("k", "v")]);
        Assert.Equal(32, run.Info.RunId.Length);
        Assert.Equal(RunStatus.Running, run.Info.Status);
        Assert.Equal("my-run", run.Info.RunName);
        Assert.Equal("my-run", run.Data.Tags[MlflowTags.RunName]);
        Assert.Equal("alice", run.Data.Tags[MlflowTags.User]);
        Assert.EndsWith($"/0/{run.Info.RunId}/artifacts", run.Info.ArtifactUri, StringComparison.Ordinal);

        var info = await Store.UpdateRunInfoAsync(run.Info.RunId, RunStatus.Finished, 2000, "renamed");
        Assert.Equal(RunStatus.Finished, info.Status);
        Assert.Equal(2000, info.EndTime);
        Assert.Equal("renamed", (await Store.GetRunAsync(run.Info.RunId)).Data.Tags[MlflowTags.RunName]);

        await Store.LogBatchAsync(run.Info.RunId, null, null, [new RunTag(MlflowTags.RunName, "by-tag")]);
        Assert.Equal("by-tag", (await Store.GetRunAsync(run.Info.RunId)).Info.RunName);

        await Store.DeleteTagAsync(run.Info.RunId, "k");
        Assert.False((await Store.GetRunAsync(run.Info.RunId)).Data.Tags.ContainsKey("k"));
        Assert.Equal(404, (await Assert.ThrowsAsync<MlflowException>(() => Store.DeleteTagAsync(run.Info.RunId, "k"))).HttpStatusCode);

        var notFound = await Assert.ThrowsAsync<MlflowException>(() => Store.GetRunAsync("0123456789abcdef0123456789abcdef"));
        Assert.Equal(MlflowErrorCodes.ResourceDoesNotExist, notFound.ErrorCode);
    }

    [Fact]
    public async Task Params_are_immutable_but_relogging_the_same_value_is_fine()
    {
        var run = (await Store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        await Store.LogBatchAsync(run, null, [new Param("lr", "0.01")], null);
        await Store.LogBatchAsync(run, null, [new Param("lr", "0.01")], null);
        var error = await Assert.ThrowsAsync<MlflowException>(() =>
            Store.LogBatchAsync(run, [new RunMetric("m", 1, 1, 0)], [new Param("lr", "0.02")], null));
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, error.ErrorCode);
        Assert.Contains("lr", error.Message, StringComparison.Ordinal);
        Assert.Contains("0.02", error.Message, StringComparison.Ordinal);

        // The batch is atomic: its metric was not written either.
        Assert.Empty((await Store.GetRunAsync(run)).Data.Metrics);
        Assert.Equal("0.01", (await Store.GetRunAsync(run)).Data.Params["lr"]);

        var duplicate = await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(run, null, [new Param("a", "1"), new Param("a", "2")], null));
        Assert.Contains("Duplicate", duplicate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metric_history_is_kept_and_latest_is_highest_step_then_timestamp()
    {
        var run = (await Store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        await Store.LogBatchAsync(run, [new RunMetric("loss", 0.5, 100, 2), new RunMetric("loss", 0.9, 200, 1), new RunMetric("loss", 0.4, 50, 2)], null, null);
        await Store.LogBatchAsync(run, [new RunMetric("loss", double.NaN, 300, 0), new RunMetric("acc", double.PositiveInfinity, 1, 0)], null, null);
        var data = (await Store.GetRunAsync(run)).Data;
        Assert.Equal(0.5, data.GetMetric("loss"));
        Assert.Equal(double.PositiveInfinity, data.GetMetric("acc"));

        var history = await Store.GetMetricHistoryAsync(run, "loss");
        Assert.Equal(4, history.Count);
        Assert.True(double.IsNaN(history[0].Value));
        Assert.Equal([0L, 1, 2, 2], history.Select(m => m.Step));
        Assert.Equal([0.4, 0.5], history.Skip(2).Select(m => m.Value).Order());
    }

    [Fact]
    public async Task Limits_and_names_are_validated_like_mlflow()
    {
        var run = (await Store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        var tooMany = Enumerable.Range(0, 1001).Select(i => new RunMetric("m", i, i, i)).ToList();
        var error = await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(run, tooMany, null, null));
        Assert.Contains("1001", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(run, null, Enumerable.Range(0, 101).Select(i => new Param("p" + i, "v")).ToList(), null));
        await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(run, null, null, Enumerable.Range(0, 101).Select(i => new RunTag("t" + i, "v")).ToList()));
        await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(run, Enumerable.Range(0, 950).Select(i => new RunMetric("m", i, i, i)).ToList(), Enumerable.Range(0, 60).Select(i => new Param("p" + i, "v")).ToList(), null));
        await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(run, null, [new Param("../escape", "v")], null));
        await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(run, null, [new Param("bad*name", "v")], null));
        await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(run, null, [new Param("p", new string('x', 6001))], null));
        await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(run, null, null, [new RunTag(new string('k', 251), "v")]));
        await Store.LogBatchAsync(run, null, [new Param("ok/name-1.x:y z", new string('x', 6000))], null);
    }

    [Fact]
    public async Task Deleted_runs_refuse_writes_and_restore()
    {
        var run = (await Store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        await Store.DeleteRunAsync(run);
        var error = await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(run, [new RunMetric("m", 1, 1, 0)], null, null));
        Assert.Contains("must be in the 'active' state", error.Message, StringComparison.Ordinal);
        await Store.RestoreRunAsync(run);
        await Store.LogBatchAsync(run, [new RunMetric("m", 1, 1, 0)], null, null);
    }
}
