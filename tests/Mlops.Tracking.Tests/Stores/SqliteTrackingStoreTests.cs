using Mlops.Tracking.Stores;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Stores;

public sealed class SqliteTrackingStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly SqliteTrackingStore _store;

    public SqliteTrackingStoreTests()
    {
        _store = new SqliteTrackingStore("sqlite:///" + _folder.Combine("mlflow.db").TrimStart('/').Insert(0, "/"));
    }

    public void Dispose()
    {
        _store.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task Uri_forms_resolve_to_the_database_file_and_artifacts_beside_it()
    {
        Assert.Equal(_folder.Combine("mlflow.db"), _store.DatabasePath);
        Assert.Equal(_folder.Combine("mlruns"), _store.DefaultArtifactRoot);
        var defaultExperiment = await _store.GetExperimentAsync("0");
        Assert.Equal("Default", defaultExperiment.Name);
        Assert.Throws<MlflowException>(() => new SqliteTrackingStore("sqlite://nohostpath"));
    }

    [Fact]
    public async Task Experiments_create_get_rename_tag_delete_restore()
    {
        var id = await _store.CreateExperimentAsync("exp", tags: [new RunTag("team", "recsys")]);
        var experiment = await _store.GetExperimentAsync(id);
        Assert.Equal("exp", experiment.Name);
        Assert.Equal(_store.DefaultArtifactRoot + "/" + id, experiment.ArtifactLocation);
        Assert.Equal("recsys", experiment.Tags["team"]);

        var duplicate = await Assert.ThrowsAsync<MlflowException>(() => _store.CreateExperimentAsync("exp"));
        Assert.Equal(MlflowErrorCodes.ResourceAlreadyExists, duplicate.ErrorCode);

        await _store.RenameExperimentAsync(id, "exp2");
        Assert.Null(await _store.GetExperimentByNameAsync("exp"));
        Assert.Equal(id, (await _store.GetExperimentByNameAsync("exp2"))!.ExperimentId);

        await _store.SetExperimentTagAsync(id, new RunTag("team", "search"));
        Assert.Equal("search", (await _store.GetExperimentAsync(id)).Tags["team"]);

        var run = await _store.CreateRunAsync(id, "u", 1, "r", null);
        await _store.DeleteExperimentAsync(id);
        Assert.Equal(LifecycleStage.Deleted, (await _store.GetExperimentAsync(id)).LifecycleStage);
        Assert.Equal(LifecycleStage.Deleted, (await _store.GetRunAsync(run.Info.RunId)).Info.LifecycleStage);
        Assert.DoesNotContain((await _store.SearchExperimentsAsync()).Items, e => e.ExperimentId == id);
        Assert.Contains((await _store.SearchExperimentsAsync(ViewType.DeletedOnly)).Items, e => e.ExperimentId == id);
        await Assert.ThrowsAsync<MlflowException>(() => _store.CreateRunAsync(id, "u", 1, null, null));

        await _store.RestoreExperimentAsync(id);
        Assert.Equal(LifecycleStage.Active, (await _store.GetRunAsync(run.Info.RunId)).Info.LifecycleStage);

        var missing = await Assert.ThrowsAsync<MlflowException>(() => _store.GetExperimentAsync("999"));
        Assert.Equal(404, missing.HttpStatusCode);
        Assert.Contains("999", missing.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<MlflowException>(() => _store.DeleteExperimentAsync("0"));
    }

    [Fact]
    public async Task Search_experiments_pages_and_orders()
    {
        for (var i = 0; i < 5; i++)
        {
            await _store.CreateExperimentAsync("e" + i);
        }

        var first = await _store.SearchExperimentsAsync(maxResults: 4, orderBy: ["name DESC"]);
        Assert.Equal(["e4", "e3", "e2", "e1"], first.Items.Select(e => e.Name));
        var second = await _store.SearchExperimentsAsync(maxResults: 4, orderBy: ["name DESC"], pageToken: first.NextPageToken);
        Assert.Equal(["e0", "Default"], second.Items.Select(e => e.Name));
        Assert.Null(second.NextPageToken);
        await Assert.ThrowsAsync<MlflowException>(() => _store.SearchExperimentsAsync(orderBy: ["colour"]));
    }

    [Fact]
    public async Task Runs_have_info_tags_and_name_and_update_status()
    {
        var run = await _store.CreateRunAsync("0", "alice", 1000, "my-run", [new RunTag("k", "v")]);
        Assert.Equal(32, run.Info.RunId.Length);
        Assert.Equal(RunStatus.Running, run.Info.Status);
        Assert.Equal("my-run", run.Info.RunName);
        Assert.Equal("my-run", run.Data.Tags[MlflowTags.RunName]);
        Assert.Equal("alice", run.Data.Tags[MlflowTags.User]);
        Assert.EndsWith($"/0/{run.Info.RunId}/artifacts", run.Info.ArtifactUri, StringComparison.Ordinal);

        var info = await _store.UpdateRunInfoAsync(run.Info.RunId, RunStatus.Finished, 2000, "renamed");
        Assert.Equal(RunStatus.Finished, info.Status);
        Assert.Equal(2000, info.EndTime);
        Assert.Equal("renamed", (await _store.GetRunAsync(run.Info.RunId)).Data.Tags[MlflowTags.RunName]);

        await _store.LogBatchAsync(run.Info.RunId, null, null, [new RunTag(MlflowTags.RunName, "by-tag")]);
        Assert.Equal("by-tag", (await _store.GetRunAsync(run.Info.RunId)).Info.RunName);

        await _store.DeleteTagAsync(run.Info.RunId, "k");
        Assert.False((await _store.GetRunAsync(run.Info.RunId)).Data.Tags.ContainsKey("k"));
        Assert.Equal(404, (await Assert.ThrowsAsync<MlflowException>(() => _store.DeleteTagAsync(run.Info.RunId, "k"))).HttpStatusCode);

        var notFound = await Assert.ThrowsAsync<MlflowException>(() => _store.GetRunAsync("0123456789abcdef0123456789abcdef"));
        Assert.Equal(MlflowErrorCodes.ResourceDoesNotExist, notFound.ErrorCode);
    }

    [Fact]
    public async Task Params_are_immutable_but_relogging_the_same_value_is_fine()
    {
        var run = (await _store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        await _store.LogBatchAsync(run, null, [new Param("lr", "0.01")], null);
        await _store.LogBatchAsync(run, null, [new Param("lr", "0.01")], null);
        var error = await Assert.ThrowsAsync<MlflowException>(() =>
            _store.LogBatchAsync(run, [new Metric("m", 1, 1, 0)], [new Param("lr", "0.02")], null));
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, error.ErrorCode);
        Assert.Contains("lr", error.Message, StringComparison.Ordinal);
        Assert.Contains("0.02", error.Message, StringComparison.Ordinal);

        // The batch is atomic: its metric was not written either.
        Assert.Empty((await _store.GetRunAsync(run)).Data.Metrics);
        Assert.Equal("0.01", (await _store.GetRunAsync(run)).Data.Params["lr"]);

        var duplicate = await Assert.ThrowsAsync<MlflowException>(() => _store.LogBatchAsync(run, null, [new Param("a", "1"), new Param("a", "2")], null));
        Assert.Contains("Duplicate", duplicate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metric_history_is_kept_and_latest_is_highest_step_then_timestamp()
    {
        var run = (await _store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        await _store.LogBatchAsync(run, [new Metric("loss", 0.5, 100, 2), new Metric("loss", 0.9, 200, 1), new Metric("loss", 0.4, 50, 2)], null, null);
        await _store.LogBatchAsync(run, [new Metric("loss", double.NaN, 300, 0), new Metric("acc", double.PositiveInfinity, 1, 0)], null, null);
        var data = (await _store.GetRunAsync(run)).Data;
        Assert.Equal(0.5, data.GetMetric("loss"));
        Assert.Equal(double.PositiveInfinity, data.GetMetric("acc"));

        var history = await _store.GetMetricHistoryAsync(run, "loss");
        Assert.Equal(4, history.Count);
        Assert.True(double.IsNaN(history[0].Value));
        Assert.Equal([0L, 1, 2, 2], history.Select(m => m.Step));
        Assert.Equal([0.4, 0.5], history.Skip(2).Select(m => m.Value).Order());
    }

    [Fact]
    public async Task Limits_and_names_are_validated_like_mlflow()
    {
        var run = (await _store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        var tooMany = Enumerable.Range(0, 1001).Select(i => new Metric("m", i, i, i)).ToList();
        var error = await Assert.ThrowsAsync<MlflowException>(() => _store.LogBatchAsync(run, tooMany, null, null));
        Assert.Contains("1001", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<MlflowException>(() => _store.LogBatchAsync(run, null, Enumerable.Range(0, 101).Select(i => new Param("p" + i, "v")).ToList(), null));
        await Assert.ThrowsAsync<MlflowException>(() => _store.LogBatchAsync(run, null, null, Enumerable.Range(0, 101).Select(i => new RunTag("t" + i, "v")).ToList()));
        await Assert.ThrowsAsync<MlflowException>(() => _store.LogBatchAsync(run, Enumerable.Range(0, 950).Select(i => new Metric("m", i, i, i)).ToList(), Enumerable.Range(0, 60).Select(i => new Param("p" + i, "v")).ToList(), null));
        await Assert.ThrowsAsync<MlflowException>(() => _store.LogBatchAsync(run, null, [new Param("../escape", "v")], null));
        await Assert.ThrowsAsync<MlflowException>(() => _store.LogBatchAsync(run, null, [new Param("bad*name", "v")], null));
        await Assert.ThrowsAsync<MlflowException>(() => _store.LogBatchAsync(run, null, [new Param("p", new string('x', 6001))], null));
        await Assert.ThrowsAsync<MlflowException>(() => _store.LogBatchAsync(run, null, null, [new RunTag(new string('k', 251), "v")]));
        await _store.LogBatchAsync(run, null, [new Param("ok/name-1.x:y z", new string('x', 6000))], null);
    }

    [Fact]
    public async Task Deleted_runs_refuse_writes_and_restore()
    {
        var run = (await _store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        await _store.DeleteRunAsync(run);
        var error = await Assert.ThrowsAsync<MlflowException>(() => _store.LogBatchAsync(run, [new Metric("m", 1, 1, 0)], null, null));
        Assert.Contains("must be in the 'active' state", error.Message, StringComparison.Ordinal);
        await _store.RestoreRunAsync(run);
        await _store.LogBatchAsync(run, [new Metric("m", 1, 1, 0)], null, null);
    }

    [Fact]
    public async Task Data_survives_reopening_the_file()
    {
        var run = (await _store.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        await _store.LogBatchAsync(run, [new Metric("m", 3, 1, 0)], [new Param("p", "v")], null);
        using var reopened = new SqliteTrackingStore(_store.DatabasePath);
        var data = (await reopened.GetRunAsync(run)).Data;
        Assert.Equal(3, data.GetMetric("m"));
        Assert.Equal("v", data.Params["p"]);
    }
}
