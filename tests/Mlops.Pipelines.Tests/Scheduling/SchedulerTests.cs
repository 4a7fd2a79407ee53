using Microsoft.Extensions.Time.Testing;
using Mlops.Testing;

namespace Mlops.Pipelines.Tests.Scheduling;

/// <summary>Catch-up, max active runs, backfill, manual triggers and the hosted loop, on a fake clock.</summary>
public sealed class SchedulerTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start.AddDays(5).AddHours(1));
    private readonly InMemoryPipelineStore _store = new();
    private readonly PipelineExecutor _executor;

    public SchedulerTests()
    {
        _executor = new PipelineExecutor(_store, timeProvider: _clock);
    }

    public void Dispose() => _executor.Dispose();

    private static Dag Daily(string id, bool catchup, int maxActiveRuns = 16, Func<TaskContext, Task>? work = null)
    {
        var dag = Dag.Create(id, schedule: TimeSpan.FromDays(1), startDate: Start, catchup: catchup);
        dag.MaxActiveRuns = maxActiveRuns;
        dag.Task("work", work ?? (_ => Task.CompletedTask));
        return dag.Build();
    }

    private PipelineScheduler Scheduler(params Dag[] dags) => new(_executor, new DagRegistry(dags));

    private IReadOnlyList<DagRunRecord> Runs(string dagId) =>
        _store.GetDagRuns(new DagRunQuery { DagId = dagId, Limit = 1000 }).OrderBy(r => r.LogicalDate).ToList();

    [Fact]
    public async Task Catch_up_creates_one_run_per_missed_interval_with_airflow_dates()
    {
        var scheduler = Scheduler(Daily("catchup", catchup: true));
        var wakeUp = scheduler.SchedulePass();
        await scheduler.WaitForActiveRunsAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var runs = Runs("catchup");
        Assert.Equal(5, runs.Count);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Start.AddDays(i), runs[i].LogicalDate);
            Assert.Equal((Start.AddDays(i), Start.AddDays(i + 1)), (runs[i].DataIntervalStart, runs[i].DataIntervalEnd));
            Assert.Equal($"scheduled__2024-01-0{i + 1}T00:00:00+00:00", runs[i].RunId);
            Assert.Equal(DagRunState.Success, runs[i].State);
        }

        Assert.Equal(Start.AddDays(6), wakeUp);
        Assert.Null(scheduler.SchedulePass() is { } next && next != Start.AddDays(6) ? next : null);
        Assert.Equal(5, Runs("catchup").Count);
    }

    [Fact]
    public async Task Without_catch_up_only_the_latest_interval_runs_then_one_per_new_interval()
    {
        var scheduler = Scheduler(Daily("latest", catchup: false));
        scheduler.SchedulePass();
        await scheduler.WaitForActiveRunsAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([Start.AddDays(4)], Runs("latest").Select(r => r.LogicalDate));

        _clock.Advance(TimeSpan.FromHours(22)); // 2024-01-06 23:00: the 01-05 interval has not ended yet.
        scheduler.SchedulePass();
        Assert.Single(Runs("latest"));
        _clock.Advance(TimeSpan.FromHours(1));
        scheduler.SchedulePass();
        await scheduler.WaitForActiveRunsAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([Start.AddDays(4), Start.AddDays(5)], Runs("latest").Select(r => r.LogicalDate));
    }

    [Fact]
    public async Task Max_active_runs_holds_during_catch_up()
    {
        var gate = new SemaphoreSlim(0);
        int running = 0, maxRunning = 0;
        var dag = Daily("limited", catchup: true, maxActiveRuns: 2, work: async _ =>
        {
            var now = Interlocked.Increment(ref running);
            lock (gate)
            {
                maxRunning = Math.Max(maxRunning, now);
            }

            await gate.WaitAsync();
            Interlocked.Decrement(ref running);
        });
        var scheduler = Scheduler(dag);
        scheduler.SchedulePass();
        Assert.Equal(2, Runs("limited").Count);

        for (var pass = 0; pass < 10 && Runs("limited").Count(r => r.State == DagRunState.Success) < 5; pass++)
        {
            gate.Release(2);
            await scheduler.WaitForActiveRunsAsync().WaitAsync(TimeSpan.FromSeconds(30));
            scheduler.SchedulePass();
            Assert.True(Runs("limited").Count(r => r.State is DagRunState.Running or DagRunState.Queued) <= 2);
        }

        Assert.Equal(5, Runs("limited").Count(r => r.State == DagRunState.Success));
        Assert.True(maxRunning <= 2, $"{maxRunning} runs ran at once");
    }

    [Fact]
    public async Task Backfill_creates_runs_for_a_range_skipping_existing_dates()
    {
        var dag = Daily("backfill", catchup: false);
        var scheduler = Scheduler(dag);
        scheduler.SchedulePass(); // the scheduled run of 01-05
        var created = scheduler.Backfill("backfill", Start.AddDays(1), Start.AddDays(4));
        Assert.Equal([Start.AddDays(1), Start.AddDays(2), Start.AddDays(3)], created.Select(r => r.LogicalDate));
        Assert.All(created, r => Assert.Equal(DagRunType.Backfill, r.RunType));
        Assert.All(created, r => Assert.StartsWith("backfill__", r.RunId));
        scheduler.SchedulePass();
        await scheduler.WaitForActiveRunsAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(Runs("backfill"), r => Assert.Equal(DagRunState.Success, r.State));
        Assert.Equal(4, Runs("backfill").Count);
        Assert.Throws<ArgumentException>(() => scheduler.Backfill("backfill", Start.AddDays(3), Start));
        Assert.Throws<DagRunNotFoundException>(() => scheduler.Backfill("nope", Start, Start));
    }

    [Fact]
    public async Task Manual_trigger_queues_a_run_that_the_next_pass_starts()
    {
        var dag = Dag.Create("manual");
        dag.Task("t", _ => { });
        var scheduler = Scheduler(dag.Build());
        var run = scheduler.Trigger("manual", conf: new Dictionary<string, object?> { ["x"] = 1 });
        Assert.Equal((DagRunState.Queued, DagRunType.Manual, _clock.GetUtcNow()), (run.State, run.RunType, run.LogicalDate));
        scheduler.SchedulePass();
        await scheduler.WaitForActiveRunsAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DagRunState.Success, _store.GetDagRun("manual", run.RunId)!.State);
    }

    [Fact]
    public async Task Hosted_loop_sleeps_until_the_next_interval_ends_then_runs_it()
    {
        var scheduler = new PipelineScheduler(_executor, new DagRegistry([Daily("hosted", catchup: false)]), new SchedulerOptions { MaxSleep = TimeSpan.FromDays(2) });
        var idle = new SemaphoreSlim(0);
        DateTimeOffset wakeUp = default;
        scheduler.Idle += (_, e) =>
        {
            wakeUp = e.WakeUpAt;
            idle.Release();
        };
        var secondRun = new TaskCompletionSource();
        _executor.DagRunStateChanged += (_, e) =>
        {
            if (e.Run.LogicalDate == Start.AddDays(5) && e.Run.State == DagRunState.Success)
            {
                secondRun.TrySetResult();
            }
        };

        await scheduler.StartAsync(CancellationToken.None);
        Assert.True(await idle.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(Start.AddDays(6), wakeUp);
        while (Runs("hosted").Any(r => r.State != DagRunState.Success))
        {
            // The first run ending wakes the loop; wait for the loop to settle with its timer armed.
            Assert.True(await idle.WaitAsync(TimeSpan.FromSeconds(30)));
        }

        _clock.Advance(Start.AddDays(6) - _clock.GetUtcNow());
        await secondRun.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await scheduler.StopAsync(CancellationToken.None);
        Assert.Equal([Start.AddDays(4), Start.AddDays(5)], Runs("hosted").Select(r => r.LogicalDate));
        scheduler.Dispose();
    }

    [Fact]
    public async Task Hosted_loop_resumes_runs_left_by_a_dead_process()
    {
        var dag = Dag.Create("orphan");
        dag.Task("t", _ => { });
        var built = dag.Build();
        var run = _executor.CreateDagRun(built, DagRunType.Manual, Start);
        var changes = new PipelineStateChanges();
        changes.Runs.Add(run with { State = DagRunState.Running, StartDate = Start, Owner = $"{Environment.MachineName}:{int.MaxValue}:1:dead" });
        _store.Apply(changes);

        var done = new TaskCompletionSource();
        _executor.DagRunStateChanged += (_, e) =>
        {
            if (e.Run.RunId == run.RunId && e.Run.State == DagRunState.Success)
            {
                done.TrySetResult();
            }
        };
        var scheduler = Scheduler(built);
        await scheduler.StartAsync(CancellationToken.None);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await scheduler.StopAsync(CancellationToken.None);
        scheduler.Dispose();
    }
}
