using Mlops.Pipelines.Tests.Support;
using Mlops.Testing;

namespace Mlops.Pipelines.Tests.Storage;

/// <summary>The semantics every <see cref="IPipelineStore"/> must have; run against SQLite and the in-memory store.</summary>
public abstract class PipelineStoreContractTests : IDisposable
{
    private static readonly DateTimeOffset Day = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);

    protected abstract IPipelineStore Store { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    protected static DagRunRecord NewRun(string dag, DateTimeOffset date, DagRunType type = DagRunType.Scheduled, DagRunState state = DagRunState.Queued) => new()
    {
        DagId = dag,
        RunId = DagRunIds.For(type, date),
        RunType = type,
        LogicalDate = date,
        DataIntervalStart = date,
        DataIntervalEnd = date.AddDays(1),
        State = state,
        QueuedAt = date,
        Conf = "{\"x\":1}",
    };

    protected static TaskInstanceRecord Ti(DagRunRecord run, string task) =>
        new() { DagId = run.DagId, RunId = run.RunId, TaskId = task, MaxTries = 2 };

    [Fact]
    public void Creates_runs_once_per_run_id_and_logical_date()
    {
        var run = NewRun("d", Day);
        Assert.True(Store.TryCreateDagRun(run, [Ti(run, "a"), Ti(run, "b")]));
        Assert.False(Store.TryCreateDagRun(run, []));
        Assert.False(Store.TryCreateDagRun(NewRun("d", Day, DagRunType.Manual), []));
        Assert.True(Store.TryCreateDagRun(NewRun("other", Day), []));
        Assert.Equal(run, Store.GetDagRun("d", run.RunId));
        Assert.Equal(["a", "b"], Store.GetTaskInstances("d", run.RunId).Select(t => t.TaskId));
        Assert.Null(Store.GetDagRun("d", "missing"));
    }

    [Fact]
    public void Applies_batches_and_reads_them_back()
    {
        var run = NewRun("d", Day);
        Store.TryCreateDagRun(run, [Ti(run, "a")]);
        var changes = new PipelineStateChanges();
        var started = Day.AddMinutes(1);
        changes.Runs.Add(run with { State = DagRunState.Running, StartDate = started });
        changes.TaskInstances.Add(Ti(run, "a") with { State = TaskInstanceState.UpForRetry, TryNumber = 1, StartDate = started, EndDate = started.AddSeconds(3), NextAttemptAt = started.AddMinutes(5), Error = "boom" });
        changes.Attempts.Add(new TaskAttemptRecord { DagId = "d", RunId = run.RunId, TaskId = "a", TryNumber = 1, State = TaskInstanceState.Failed, StartDate = started, EndDate = started.AddSeconds(3), Error = "boom" });
        changes.Logs.Add(new TaskLogEntry { DagId = "d", RunId = run.RunId, TaskId = "a", TryNumber = 1, Sequence = 1, Timestamp = started, Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "second" });
        changes.Logs.Add(new TaskLogEntry { DagId = "d", RunId = run.RunId, TaskId = "a", TryNumber = 1, Sequence = 0, Timestamp = started, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "first" });
        changes.Xcoms.Add(new XcomRecord("d", run.RunId, "a", "return_value", "[1,2]"));
        Store.Apply(changes);

        Assert.Equal(DagRunState.Running, Store.GetDagRun("d", run.RunId)!.State);
        var ti = Store.GetTaskInstances("d", run.RunId).Single();
        Assert.Equal(changes.TaskInstances[0], ti);
        Assert.Equal(TimeSpan.FromSeconds(3), ti.Duration);
        Assert.Equal(changes.Attempts, Store.GetTaskAttempts("d", run.RunId, "a"));
        Assert.Equal(["first", "second"], Store.GetTaskLog("d", run.RunId, "a", 1).Select(l => l.Message));
        Assert.Equal("[1,2]", Store.GetXcoms("d", run.RunId).Single().Json);
    }

    [Fact]
    public void Queries_runs_newest_first_with_filters()
    {
        for (var i = 0; i < 5; i++)
        {
            Store.TryCreateDagRun(NewRun("d", Day.AddDays(i), state: i % 2 == 0 ? DagRunState.Success : DagRunState.Failed), []);
        }

        Store.TryCreateDagRun(NewRun("d", Day.AddDays(10), DagRunType.Manual, DagRunState.Running), []);
        Assert.Equal(6, Store.GetDagRuns(new DagRunQuery { DagId = "d" }).Count);
        Assert.Equal([Day.AddDays(10), Day.AddDays(4)], Store.GetDagRuns(new DagRunQuery { DagId = "d", Limit = 2 }).Select(r => r.LogicalDate));
        Assert.Equal(2, Store.GetDagRuns(new DagRunQuery { DagId = "d", States = [DagRunState.Failed] }).Count);
        Assert.Single(Store.GetDagRuns(new DagRunQuery { DagId = "d", RunType = DagRunType.Manual }));
        Assert.Equal(3, Store.GetDagRuns(new DagRunQuery { DagId = "d", LogicalDateFrom = Day.AddDays(1), LogicalDateTo = Day.AddDays(3) }).Count);
    }

    [Fact]
    public void Finds_the_previous_task_instance_by_logical_date()
    {
        var first = NewRun("d", Day);
        var second = NewRun("d", Day.AddDays(1));
        Store.TryCreateDagRun(first, [Ti(first, "a")]);
        Store.TryCreateDagRun(second, [Ti(second, "a")]);
        Assert.Null(Store.GetPreviousTaskInstance("d", "a", Day));
        var previous = Store.GetPreviousTaskInstance("d", "a", Day.AddDays(1))!.Value;
        Assert.Equal(first.RunId, previous.Run.RunId);
        Assert.Equal("a", previous.TaskInstance!.TaskId);
        Assert.Null(Store.GetPreviousTaskInstance("d", "new_task", Day.AddDays(1))!.Value.TaskInstance);
    }

    [Fact]
    public void Claims_runs_unless_a_live_owner_holds_them()
    {
        var run = NewRun("d", Day);
        Store.TryCreateDagRun(run, []);
        Assert.Equal("me", Store.TryClaimDagRun("d", run.RunId, "me", _ => true)!.Owner);
        Assert.NotNull(Store.TryClaimDagRun("d", run.RunId, "me", _ => true));
        Assert.Null(Store.TryClaimDagRun("d", run.RunId, "you", owner => owner == "me"));
        Assert.Equal("you", Store.TryClaimDagRun("d", run.RunId, "you", _ => false)!.Owner);
        Store.ReleaseDagRun("d", run.RunId, "me");
        Assert.Equal("you", Store.GetDagRun("d", run.RunId)!.Owner);
        Store.ReleaseDagRun("d", run.RunId, "you");
        Assert.Null(Store.GetDagRun("d", run.RunId)!.Owner);
        Assert.Throws<DagRunNotFoundException>(() => Store.TryClaimDagRun("d", "missing", "me", _ => true));
    }

    [Fact]
    public async Task Async_queries_match_sync_ones()
    {
        var run = NewRun("d", Day);
        Store.TryCreateDagRun(run, [Ti(run, "a")]);
        Assert.Equal(Store.GetDagRun("d", run.RunId), await Store.GetDagRunAsync("d", run.RunId));
        Assert.Equal(Store.GetTaskInstances("d", run.RunId), await Store.GetTaskInstancesAsync("d", run.RunId));
        Assert.Equal(Store.GetDagRuns(new DagRunQuery()), await Store.GetDagRunsAsync(new DagRunQuery()));
    }
}

public sealed class InMemoryPipelineStoreContractTests : PipelineStoreContractTests
{
    protected override IPipelineStore Store { get; } = new InMemoryPipelineStore();
}

public sealed class SqlitePipelineStoreContractTests : PipelineStoreContractTests
{
    private readonly TemporaryFolder _folder = new();
    private readonly SqlitePipelineStore _store;

    public SqlitePipelineStoreContractTests()
    {
        _store = new SqlitePipelineStore(_folder.File("pipelines.db"));
    }

    protected override IPipelineStore Store => _store;

    [Fact]
    public void Opens_through_the_one_sqlite_opener_with_wal_the_busy_timeout_and_durability()
    {
        Assert.Equal("wal", Mlops.Data.SqliteDatabase.JournalMode(_store.Connection));
        Assert.Equal(new SqlitePipelineStoreOptions().BusyTimeout, Mlops.Data.SqliteDatabase.BusyTimeout(_store.Connection));
        Assert.Equal(Mlops.Data.SqliteDurability.ProcessCrash, Mlops.Data.SqliteDatabase.Durability(_store.Connection));
        using var durable = new SqlitePipelineStore(new SqlitePipelineStoreOptions
        {
            Path = _folder.File("durable.db"),
            Durability = Mlops.Data.SqliteDurability.PowerLoss,
            BusyTimeout = TimeSpan.FromSeconds(5),
        });
        Assert.Equal("wal", Mlops.Data.SqliteDatabase.JournalMode(durable.Connection));
        Assert.Equal(TimeSpan.FromSeconds(5), Mlops.Data.SqliteDatabase.BusyTimeout(durable.Connection));
        Assert.Equal(Mlops.Data.SqliteDurability.PowerLoss, Mlops.Data.SqliteDatabase.Durability(durable.Connection));
    }

    public override void Dispose()
    {
        _store.Dispose();
        _folder.Dispose();
        base.Dispose();
    }

    [Fact]
    public void Data_survives_reopening_and_the_file_is_in_wal_mode()
    {
        var run = NewRun("d", new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _store.TryCreateDagRun(run, [Ti(run, "a")]);
        using (var reopened = new SqlitePipelineStore(_store.Path))
        {
            Assert.Equal(run, reopened.GetDagRun("d", run.RunId));
        }

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_store.Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "SELECT state FROM task_instance;";
        Assert.Equal("none", command.ExecuteScalar());
    }

    [Fact]
    public void A_newer_schema_is_refused()
    {
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_store.Path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE schema_info SET version = 99;";
            command.ExecuteNonQuery();
        }

        var e = Assert.Throws<PipelineException>(() => new SqlitePipelineStore(_store.Path));
        Assert.Contains("schema version 99", e.Message);
    }

    [Fact]
    public async Task Executor_runs_end_to_end_on_sqlite()
    {
        using var executor = new PipelineExecutor(_store);
        var dag = Dag.Create("sqlite_e2e");
        var a = dag.Task("a", _ => 1);
        var b = dag.Task("b", ctx => ctx.Pull<int>("a") + 1);
        _ = a >> b;
        var run = await executor.RunAsync(dag.Build(), new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(DagRunState.Success, run.State);
        Assert.Equal("2", _store.GetXcoms("sqlite_e2e", run.RunId).Single(x => x.TaskId == "b").Json);
        Assert.All(_store.GetTaskAttempts("sqlite_e2e", run.RunId), x => Assert.Equal(TaskInstanceState.Success, x.State));
    }
}
