using Mlops.Pipelines.Tests.Support;

namespace Mlops.Pipelines.Tests.Execution;

/// <summary>Sensors, external processes, XCom values and params.</summary>
public class TaskKindTests
{
    [Fact]
    public async Task Sensor_pokes_every_interval_without_holding_a_slot_and_succeeds()
    {
        using var h = new Harness(new ExecutorOptions { MaxParallelism = 1 });
        var pokes = 0;
        var dag = Dag.Create("sensor");
        var wait = dag.Sensor("wait_for_file", _ => Interlocked.Increment(ref pokes) >= 3, new SensorOptions { PokeInterval = TimeSpan.FromMinutes(1) });
        var other = dag.Task("other", _ => { });
        var after = dag.Task("after", _ => { });
        _ = wait >> after;
        var built = dag.Build();
        var otherDone = h.WhenState("other", TaskInstanceState.Success);
        var rescheduled = h.WhenState("wait_for_file", TaskInstanceState.UpForReschedule);
        var runTask = h.Executor.RunAsync(built, Harness.Epoch);
        var waiting = await rescheduled;
        Assert.Equal(Harness.Epoch.AddMinutes(1), waiting.NextAttemptAt);
        await otherDone; // With one slot, "other" ran while the sensor waited.

        var again = h.WhenState("wait_for_file", TaskInstanceState.UpForReschedule);
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(Harness.Epoch.AddMinutes(2), (await again).NextAttemptAt);
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(DagRunState.Success, run.State);
        Assert.Equal(3, pokes);
        var ti = h.Store.GetTaskInstances("sensor", run.RunId).Single(t => t.TaskId == "wait_for_file");
        Assert.Equal((1, 2, Harness.Epoch), (ti.TryNumber, ti.Reschedules, ti.StartDate!.Value));
    }

    [Theory]
    [InlineData(false, TaskInstanceState.Failed, DagRunState.Failed)]
    [InlineData(true, TaskInstanceState.Skipped, DagRunState.Success)]
    public async Task Sensor_times_out_without_retry_or_soft_fails(bool softFail, TaskInstanceState expected, DagRunState runState)
    {
        using var h = new Harness();
        var dag = Dag.Create("sensor_timeout", defaults: new TaskArguments { Retries = 3 });
        dag.Sensor("never", _ => false, new SensorOptions { PokeInterval = TimeSpan.FromMinutes(10), Timeout = TimeSpan.FromMinutes(25), SoftFail = softFail });
        var rescheduled = h.WhenState("never", TaskInstanceState.UpForReschedule);
        var runTask = h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        var pokes = 1;
        while (await Task.WhenAny(rescheduled, runTask) != runTask)
        {
            // Pokes at 0, 10 and 20 minutes reschedule; the last wait is cut to the 25-minute deadline.
            var waiting = await rescheduled;
            Assert.Equal(Harness.Epoch.AddMinutes(Math.Min(10 * pokes, 25)), waiting.NextAttemptAt);
            rescheduled = h.WhenState("never", TaskInstanceState.UpForReschedule);
            h.Clock.Advance(waiting.NextAttemptAt!.Value - h.Clock.GetUtcNow());
            pokes++;
        }

        Assert.Equal(4, pokes);
        var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(runState, run.State);
        var ti = h.Store.GetTaskInstances("sensor_timeout", run.RunId).Single();
        Assert.Equal(expected, ti.State);
        Assert.Equal(1, ti.TryNumber);
        Assert.Contains("timed out", ti.Error);
    }

    [Fact]
    public void Process_task_captures_output_returns_last_line_and_passes_environment()
    {
        using var h = new Harness();
        var dag = Dag.Create("process");
        dag.ProcessTask("echo", new ProcessTaskOptions
        {
            FileName = "/bin/sh",
            Arguments = { "-c", "echo first; echo \"value=$GREETING\"; echo oops >&2" },
            Environment = { ["GREETING"] = "hello" },
        });
        dag.ProcessTask("skipper", new ProcessTaskOptions { FileName = "/bin/sh", Arguments = { "-c", "exit 99" } });
        dag.ProcessTask("failer", new ProcessTaskOptions { FileName = "/bin/sh", Arguments = { "-c", "exit 3" } });
        dag.ProcessTask("missing", new ProcessTaskOptions { FileName = "/no/such/program" });
        var run = h.Run(dag.Build());

        var states = h.States(run);
        Assert.Equal(TaskInstanceState.Success, states["echo"]);
        Assert.Equal(TaskInstanceState.Skipped, states["skipper"]);
        Assert.Equal(TaskInstanceState.Failed, states["failer"]);
        Assert.Equal(TaskInstanceState.Failed, states["missing"]);
        Assert.Equal("\"value=hello\"", h.Store.GetXcoms("process", run.RunId).Single(x => x.TaskId == "echo").Json);
        var log = h.Store.GetTaskLog("process", run.RunId, "echo", 1).Select(l => l.Message).ToList();
        Assert.Contains("first", log);
        Assert.Contains("oops", log);
        Assert.Contains("exited with code 3", h.Store.GetTaskInstances("process", run.RunId).Single(t => t.TaskId == "failer").Error);
    }

    [Fact]
    public async Task Process_task_is_killed_on_timeout()
    {
        using var h = new Harness();
        using var folder = new TemporaryFolder();
        var marker = folder.File("started");
        var dag = Dag.Create("process_timeout", defaults: new TaskArguments { ExecutionTimeout = TimeSpan.FromSeconds(1) });
        dag.ProcessTask("sleep", new ProcessTaskOptions { FileName = "/bin/sh", Arguments = { "-c", $"touch '{marker}'; sleep 60" } });
        var runTask = h.Executor.RunAsync(dag.Build(), Harness.Epoch);

        // The timeout is armed before the process starts, and the process starts before it creates the marker.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(marker) && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }

        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DagRunState.Failed, run.State);
        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the killed process does not hold the run for its 60 s sleep");
    }

    [Fact]
    public void Xcom_values_pass_between_tasks_with_keys_and_types()
    {
        using var h = new Harness();
        var dag = Dag.Create("xcom");
        var produce = dag.Task("produce", ctx =>
        {
            ctx.Push("rows", 1234L);
            ctx.Push("columns", new[] { "user_id", "features" });
            return new Metrics(0.91, "v3");
        });
        Metrics? seen = null;
        string[]? columns = null;
        var consume = dag.Task("consume", ctx =>
        {
            seen = ctx.Pull<Metrics>("produce");
            columns = ctx.Pull<string[]>("produce", "columns");
            Assert.Equal(1234L, ctx.Pull<long>("produce", "rows"));
            Assert.False(ctx.TryPull<int>("produce", out _, "absent"));
            Assert.Throws<XcomException>(() => ctx.Pull<int>("no_such_task"));
        });
        _ = produce >> consume;
        var run = h.Run(dag.Build());
        Assert.Equal(DagRunState.Success, run.State);
        Assert.Equal(new Metrics(0.91, "v3"), seen);
        Assert.Equal(["user_id", "features"], columns!);
    }

    [Fact]
    public void Xcom_over_the_size_limit_fails_the_task_naming_it()
    {
        using var h = new Harness(new ExecutorOptions { MaxXcomBytes = 100 });
        var dag = Dag.Create("big_xcom");
        dag.Task("big", _ => new string('x', 500));
        var run = h.Run(dag.Build());
        Assert.Equal(DagRunState.Failed, run.State);
        var error = h.Store.GetTaskInstances("big_xcom", run.RunId).Single().Error!;
        Assert.Contains("'big'", error);
        Assert.Contains("over the limit of 100", error);
        Assert.Empty(h.Store.GetXcoms("big_xcom", run.RunId));
    }

    [Fact]
    public void Values_of_a_failed_try_are_not_visible()
    {
        using var h = new Harness();
        var dag = Dag.Create("failed_push");
        var a = dag.Task("a", ctx =>
        {
            ctx.Push("partial", 1);
            throw new InvalidOperationException("after push");
        });
        var b = dag.Task("b", _ => { }, x => x.TriggerRule = TriggerRule.AllDone);
        _ = a >> b;
        var run = h.Run(dag.Build());
        Assert.Empty(h.Store.GetXcoms("failed_push", run.RunId));
    }

    [Fact]
    public async Task Context_has_dates_params_and_conf_overrides()
    {
        using var h = new Harness();
        var dag = Dag.Create("context");
        dag.Params["threshold"] = 0.5;
        dag.Params["model"] = "recsys";
        TaskContext? seen = null;
        dag.Task("t", ctx => { seen = ctx; }, a => a.Owner = "ml-team");
        var built = dag.Build();
        var run = await h.Executor.RunAsync(built, Harness.Epoch.AddDays(3), new Dictionary<string, object?> { ["threshold"] = 0.9 });
        Assert.Equal(DagRunState.Success, run.State);
        Assert.NotNull(seen);
        Assert.Equal(0.9, seen.GetParam<double>("threshold"));
        Assert.Equal("recsys", seen.GetParam<string>("model"));
        Assert.Throws<KeyNotFoundException>(() => seen.GetParam<int>("missing"));
        Assert.Equal(Harness.Epoch.AddDays(3), seen.LogicalDate);
        Assert.Equal((1, 1, "ml-team"), (seen.TryNumber, seen.MaxTries, seen.Task.Owner));
        Assert.Equal("manual__2024-01-04T00:00:00+00:00", seen.RunId);
    }

    private sealed record Metrics(double Accuracy, string Version);
}
