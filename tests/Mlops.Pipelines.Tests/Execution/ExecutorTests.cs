using Mlops.Pipelines.Tests.Support;
using Mlops.Testing;

namespace Mlops.Pipelines.Tests.Execution;

/// <summary>Parallelism and pools, depends-on-past, resuming persisted runs, and shutdown.</summary>
public class ExecutorTests
{
    [Fact]
    public async Task Parallelism_and_pools_cap_concurrent_attempts()
    {
        using var h = new Harness(new ExecutorOptions { MaxParallelism = 3, Pools = { ["gpu"] = 1 } });
        int running = 0, maxRunning = 0, gpuRunning = 0, maxGpu = 0;
        var gate = new SemaphoreSlim(0);
        var dag = Dag.Create("parallel");
        for (var i = 0; i < 12; i++)
        {
            var gpu = i % 3 == 0;
            dag.Task($"t{i}", async _ =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref maxRunning, now);
                if (gpu)
                {
                    InterlockedMax(ref maxGpu, Interlocked.Increment(ref gpuRunning));
                }

                await gate.WaitAsync();
                if (gpu)
                {
                    Interlocked.Decrement(ref gpuRunning);
                }

                Interlocked.Decrement(ref running);
            }, a => a.Pool = gpu ? "gpu" : TaskArguments.DefaultPool);
        }

        var queued = h.WhenState("t1", TaskInstanceState.Queued);
        var runTask = h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        for (var released = 0; released < 12; released++)
        {
            await Task.Delay(1);
            gate.Release();
        }

        var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DagRunState.Success, run.State);
        Assert.True(maxRunning <= 3, $"max running {maxRunning}");
        Assert.Equal(1, maxGpu);
        Assert.True(queued.IsCompletedSuccessfully || h.Store.GetTaskAttempts("parallel", run.RunId).Count == 12);
    }

    [Fact]
    public void Unknown_pool_fails_fast_naming_the_task()
    {
        using var h = new Harness();
        var dag = Dag.Create("pools");
        dag.Task("t", _ => { }, a => a.Pool = "gpu");
        var e = Assert.ThrowsAny<PipelineException>(() => h.Run(dag.Build()));
        Assert.Equal(("pools", "t"), (e.DagId, e.TaskId));
        Assert.Contains("'gpu'", e.Message);
    }

    [Fact]
    public async Task Higher_priority_tasks_start_first_when_slots_are_scarce()
    {
        using var h = new Harness(new ExecutorOptions { MaxParallelism = 1 });
        var order = new List<string>();
        var dag = Dag.Create("priority");
        var start = dag.Task("start", _ => { });
        foreach (var (id, weight) in new[] { ("low", 1), ("high", 10), ("mid", 5) })
        {
            var t = dag.Task(id, _ => { lock (order) { order.Add(id); } }, a => a.PriorityWeight = weight);
            _ = start >> t;
        }

        await h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        Assert.Equal(["high", "mid", "low"], order);
    }

    [Fact]
    public async Task Depends_on_past_waits_for_the_previous_run_and_deadlocks_after_a_failure()
    {
        using var h = new Harness();
        var fail = true;
        var release = new TaskCompletionSource();
        var dag = Dag.Create("past");
        dag.Task("load", async ctx =>
        {
            if (ctx.LogicalDate == Harness.Epoch)
            {
                await release.Task;
                if (fail)
                {
                    throw new InvalidOperationException("day one failed");
                }
            }
        }, a => a.DependsOnPast = true);
        var built = dag.Build();

        // Day 2 starts while day 1 is still running: its task waits for day 1's.
        var day1Running = h.WhenState("load", TaskInstanceState.Running);
        var day1 = h.Executor.RunAsync(built, Harness.Epoch);
        await day1Running;
        var day2 = h.Executor.RunAsync(built, Harness.Epoch.AddDays(1));
        await Task.Delay(20);
        Assert.False(day2.IsCompleted);
        fail = false;
        release.SetResult();
        Assert.Equal(DagRunState.Success, (await day1.WaitAsync(TimeSpan.FromSeconds(30))).State);
        Assert.Equal(DagRunState.Success, (await day2.WaitAsync(TimeSpan.FromSeconds(30))).State);

        // A failed instance blocks the next run's instance for good: the run ends failed with a deadlock note.
        var failing = Dag.Create("past_failed");
        failing.Task("load", ctx =>
        {
            if (ctx.LogicalDate == Harness.Epoch)
            {
                throw new InvalidOperationException("day one failed");
            }
        }, a => a.DependsOnPast = true);
        var builtFailing = failing.Build();
        Assert.Equal(DagRunState.Failed, (await h.Executor.RunAsync(builtFailing, Harness.Epoch)).State);
        var blocked = await h.Executor.RunAsync(builtFailing, Harness.Epoch.AddDays(1));
        Assert.Equal(DagRunState.Failed, blocked.State);
        Assert.Contains("Deadlock", blocked.Note);
        Assert.Contains("'load' depends on past and is failed", blocked.Note);
        Assert.Equal(TaskInstanceState.None, h.States(blocked)["load"]);
    }

    [Fact]
    public async Task A_run_left_running_resumes_without_rerunning_succeeded_tasks_and_retries_the_zombie()
    {
        var store = new InMemoryPipelineStore();
        var executions = new Dictionary<string, int>();
        var dag = Dag.Create("resume", defaults: new TaskArguments { Retries = 1, RetryDelay = TimeSpan.Zero });
        var a = dag.Task("a", ctx => Count(ctx));
        var b = dag.Task("b", ctx => Count(ctx));
        var c = dag.Task("c", ctx => Count(ctx));
        _ = a >> b >> c;
        var built = dag.Build();

        using (var h = new Harness(store: store))
        {
            var run = h.Executor.CreateDagRun(built, DagRunType.Manual, Harness.Epoch);
            await h.Executor.ExecuteAsync(built, run.RunId);
        }

        // Rewind to "a succeeded, b was running try 1, owner a dead process" as a crash would leave it.
        var runId = DagRunIds.For(DagRunType.Manual, Harness.Epoch);
        var changes = new PipelineStateChanges();
        var tis = store.GetTaskInstances("resume", runId).ToDictionary(t => t.TaskId);
        changes.TaskInstances.Add(tis["b"] with { State = TaskInstanceState.Running, TryNumber = 1, EndDate = null });
        changes.TaskInstances.Add(tis["c"] with { State = TaskInstanceState.None, TryNumber = 0, StartDate = null, EndDate = null });
        changes.Runs.Add(store.GetDagRun("resume", runId)! with { State = DagRunState.Running, EndDate = null, Owner = "other-host:1:1:dead" });
        store.Apply(changes);
        executions.Clear();

        using var resumed = new Harness(store: store);
        var results = await resumed.Executor.ResumeAsync([built]);
        Assert.Empty(results); // Another machine's owner is never assumed dead.

        changes.Clear();
        changes.Runs.Add(store.GetDagRun("resume", runId)! with { Owner = $"{Environment.MachineName}:{int.MaxValue}:1:gone" });
        store.Apply(changes);
        var final = Assert.Single(await resumed.Executor.ResumeAsync([built]));
        Assert.Equal(DagRunState.Success, final.State);
        Assert.Equal(new Dictionary<string, int> { ["b"] = 1, ["c"] = 1 }, executions);
        var attempts = store.GetTaskAttempts("resume", runId, "b");
        Assert.Equal([TaskInstanceState.Failed, TaskInstanceState.Success], attempts.Select(x => x.State));
        Assert.Contains("zombie", attempts[0].Error);
        Assert.Null(store.GetDagRun("resume", runId)!.Owner);

        void Count(TaskContext ctx)
        {
            lock (executions)
            {
                executions[ctx.TaskId] = executions.GetValueOrDefault(ctx.TaskId) + 1;
            }
        }
    }

    [Fact]
    public async Task Cancelling_stops_the_run_and_gives_the_try_back_so_it_resumes()
    {
        using var h = new Harness();
        var started = new SemaphoreSlim(0);
        var dag = Dag.Create("stop");
        var slow = dag.Task("slow", async ctx =>
        {
            if (ctx.TryNumber == 1)
            {
                started.Release();
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            }
        });
        var next = dag.Task("next", _ => { });
        _ = slow >> next;
        var built = dag.Build();
        using var stop = new CancellationTokenSource();
        var run = h.Executor.CreateDagRun(built, DagRunType.Manual, Harness.Epoch);
        var execution = h.Executor.ExecuteAsync(built, run.RunId, stop.Token);
        Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30)));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => execution.WaitAsync(TimeSpan.FromSeconds(30)));

        var ti = h.Store.GetTaskInstances("stop", run.RunId).Single(t => t.TaskId == "slow");
        Assert.Equal((TaskInstanceState.UpForRetry, 1, 2), (ti.State, ti.TryNumber, ti.MaxTries));
        Assert.Equal(DagRunState.Running, h.Store.GetDagRun("stop", run.RunId)!.State);

        var resumed = await h.Executor.ExecuteAsync(built, run.RunId);
        Assert.Equal(DagRunState.Success, resumed.State);
    }

    [Fact]
    public async Task A_run_held_by_a_live_executor_is_not_taken()
    {
        var store = new InMemoryPipelineStore();
        using var first = new Harness(store: store);
        using var second = new Harness(store: store);
        var release = new TaskCompletionSource();
        var dag = Dag.Create("owned");
        dag.Task("t", async _ => await release.Task);
        var built = dag.Build();
        var run = first.Executor.CreateDagRun(built, DagRunType.Manual, Harness.Epoch);
        var running = first.WhenState("t", TaskInstanceState.Running);
        var execution = first.Executor.ExecuteAsync(built, run.RunId);
        await running;
        var e = await Assert.ThrowsAsync<DagRunOwnedException>(() => second.Executor.ExecuteAsync(built, run.RunId));
        Assert.Equal(run.RunId, e.RunId);
        release.SetResult();
        Assert.Equal(DagRunState.Success, (await execution.WaitAsync(TimeSpan.FromSeconds(30))).State);
        Assert.Equal(DagRunState.Success, (await second.Executor.ExecuteAsync(built, run.RunId)).State);
    }

    [Fact]
    public async Task Runs_are_unique_per_logical_date()
    {
        using var h = new Harness();
        var dag = Dag.Create("unique");
        dag.Task("t", _ => { });
        var built = dag.Build();
        await h.Executor.RunAsync(built, Harness.Epoch);
        Assert.Throws<DagRunAlreadyExistsException>(() => h.Executor.CreateDagRun(built, DagRunType.Backfill, Harness.Epoch));
        Assert.Null(h.Executor.TryCreateDagRun(built, DagRunType.Manual, Harness.Epoch.AddDays(1), runId: DagRunIds.For(DagRunType.Manual, Harness.Epoch)));
        await Assert.ThrowsAsync<DagRunNotFoundException>(() => h.Executor.ExecuteAsync(built, "nope"));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
