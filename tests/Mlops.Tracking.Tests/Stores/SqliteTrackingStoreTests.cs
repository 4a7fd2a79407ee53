using Mlops.Data;
using Mlops.Testing.Tracking;
using Mlops.Tracking.Stores;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Stores;

public sealed class SqliteTrackingStoreTests : TrackingStoreContract
{
    private readonly TempFolder _folder = new();

    private SqliteTrackingStore SqliteStore => (SqliteTrackingStore)Store;

    protected override ITrackingStore CreateStore() => new SqliteTrackingStore("sqlite:///" + _folder.Combine("mlflow.db").TrimStart('/').Insert(0, "/"));

    protected override void DisposeResources() => _folder.Dispose();

    [Fact]
    public void Tracking_and_registry_stores_open_through_the_one_opener_with_wal_the_busy_timeout_and_durability()
    {
        Assert.Equal("wal", SqliteDatabase.JournalMode(SqliteStore.Connection));
        Assert.Equal(SqliteTrackingStore.BusyTimeout, SqliteDatabase.BusyTimeout(SqliteStore.Connection));
        Assert.Equal(SqliteDurability.ProcessCrash, SqliteDatabase.Durability(SqliteStore.Connection));

        using var durable = new SqliteTrackingStore(_folder.Combine("durable.db"), durability: SqliteDurability.PowerLoss, busyTimeout: TimeSpan.FromSeconds(7));
        Assert.Equal("wal", SqliteDatabase.JournalMode(durable.Connection));
        Assert.Equal(TimeSpan.FromSeconds(7), SqliteDatabase.BusyTimeout(durable.Connection));
        Assert.Equal(SqliteDurability.PowerLoss, SqliteDatabase.Durability(durable.Connection));

        using var registry = new Mlops.Tracking.Registry.SqliteModelRegistryStore(SqliteStore.DatabasePath, durability: SqliteDurability.PowerLoss, busyTimeout: TimeSpan.FromSeconds(9));
        Assert.Equal("wal", SqliteDatabase.JournalMode(registry.Connection));
        Assert.Equal(TimeSpan.FromSeconds(9), SqliteDatabase.BusyTimeout(registry.Connection));
        Assert.Equal(SqliteDurability.PowerLoss, SqliteDatabase.Durability(registry.Connection));
    }

    [Fact]
    public async Task Uri_forms_resolve_to_the_database_file_and_artifacts_beside_it()
    {
        Assert.Equal(_folder.Combine("mlflow.db"), SqliteStore.DatabasePath);
        Assert.Equal(_folder.Combine("mlruns"), SqliteStore.DefaultArtifactRoot);
        var defaultExperiment = await SqliteStore.GetExperimentAsync("0");
        Assert.Equal("Default", defaultExperiment.Name);
        Assert.Throws<MlflowException>(() => new SqliteTrackingStore("sqlite://nohostpath"));
    }

    [Fact]
    public async Task Data_survives_reopening_the_file()
    {
        var run = (await SqliteStore.CreateRunAsync("0", "u", 1, null, null)).Info.RunId;
        await SqliteStore.LogBatchAsync(run, [new RunMetric("m", 3, 1, 0)], [new Param("p", "v")], null);
        using var reopened = new SqliteTrackingStore(SqliteStore.DatabasePath);
        var data = (await reopened.GetRunAsync(run)).Data;
        Assert.Equal(3, data.GetMetric("m"));
        Assert.Equal("v", data.Params["p"]);
    }
}

public sealed class InMemoryTrackingStoreTests : TrackingStoreContract
{
    protected override ITrackingStore CreateStore() => new InMemoryTrackingStore();

    [Fact]
    public async Task Holds_only_the_default_experiment_and_counts_runs_in_every_stage()
    {
        var store = (InMemoryTrackingStore)Store;
        Assert.Equal(["0"], (await store.SearchExperimentsAsync(ViewType.All)).Select(e => e.ExperimentId));
        var experiment = await store.CreateExperimentAsync("e");
        var run = await store.CreateRunAsync(experiment, "u", 1, "r", null);
        await store.CreateRunAsync("0", "u", 2, "s", null);
        await store.DeleteRunAsync(run.Info.RunId);
        Assert.Equal(2, store.RunCount);
    }
}
