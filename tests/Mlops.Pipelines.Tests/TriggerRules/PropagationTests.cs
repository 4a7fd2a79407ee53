using Mlops.Pipelines.Tests.Support;

namespace Mlops.Pipelines.Tests.TriggerRules;

/// <summary>Skips and failures propagating through a run, and the run's final state decided from its leaves.</summary>
public class PropagationTests
{
    [Fact]
    public void Failure_marks_downstream_upstream_failed_and_the_run_failed()
    {
        using var h = new Harness();
        var dag = Dag.Create("fail_chain");
        var t1 = dag.Task("t1", _ => throw new InvalidOperationException("boom"));
        var t2 = dag.Task("t2", _ => { });
        var t3 = dag.Task("t3", _ => { });
        var cleanup = dag.Task("cleanup", _ => { }, a => a.TriggerRule = TriggerRule.AllDone);
        _ = t1 >> t2 >> t3;
        _ = t2 >> cleanup;
        var run = h.Run(dag.Build());

        var states = h.States(run);
        Assert.Equal(TaskInstanceState.Failed, states["t1"]);
        Assert.Equal(TaskInstanceState.UpstreamFailed, states["t2"]);
        Assert.Equal(TaskInstanceState.UpstreamFailed, states["t3"]);
        Assert.Equal(TaskInstanceState.Success, states["cleanup"]);
        Assert.Equal(DagRunState.Failed, run.State);
        Assert.Contains("boom", h.Store.GetTaskInstances("fail_chain", run.RunId).Single(t => t.TaskId == "t1").Error);
    }

    [Fact]
    public void Skip_propagates_through_all_success_but_not_none_failed()
    {
        using var h = new Harness();
        var dag = Dag.Create("skip_chain");
        var check = dag.Task("check", ctx => ctx.Skip("nothing new today"));
        var other = dag.Task("other", _ => { });
        var process = dag.Task("process", _ => { });
        var publish = dag.Task("publish", _ => { });
        var report = dag.Task("report", _ => { }, a => a.TriggerRule = TriggerRule.NoneFailed);
        _ = check >> process >> publish;
        _ = new[] { publish, other } >> report;
        var run = h.Run(dag.Build());

        var states = h.States(run);
        Assert.Equal(TaskInstanceState.Skipped, states["check"]);
        Assert.Equal(TaskInstanceState.Skipped, states["process"]);
        Assert.Equal(TaskInstanceState.Skipped, states["publish"]);
        Assert.Equal(TaskInstanceState.Success, states["report"]);
        Assert.Equal(DagRunState.Success, run.State);
        Assert.Equal("nothing new today", h.Store.GetTaskInstances("skip_chain", run.RunId).Single(t => t.TaskId == "check").Error);
    }

    [Fact]
    public void Branch_join_with_none_failed_min_one_success_runs_after_one_branch_is_skipped()
    {
        using var h = new Harness();
        var dag = Dag.Create("branch");
        var branch = dag.Task("branch", _ => { });
        var left = dag.Task("left", _ => { });
        var right = dag.Task("right", ctx => ctx.Skip("branch not taken"));
        var join = dag.Task("join", _ => { }, a => a.TriggerRule = TriggerRule.NoneFailedMinOneSuccess);
        _ = branch >> new[] { left, right } >> join;
        var run = h.Run(dag.Build());
        Assert.Equal(TaskInstanceState.Success, h.States(run)["join"]);
        Assert.Equal(DagRunState.Success, run.State);
    }

    [Fact]
    public void Run_state_comes_from_leaves_so_a_handled_failure_can_end_in_success()
    {
        using var h = new Harness();
        var dag = Dag.Create("handled");
        var work = dag.Task("work", _ => throw new InvalidOperationException("bad input"));
        var onFailure = dag.Task("on_failure", _ => { }, a => a.TriggerRule = TriggerRule.OneFailed);
        var onSuccess = dag.Task("on_success", _ => { });
        _ = work >> new[] { onFailure, onSuccess };
        var states = h.States(h.Run(dag.Build()));
        Assert.Equal(TaskInstanceState.Success, states["on_failure"]);
        Assert.Equal(TaskInstanceState.UpstreamFailed, states["on_success"]);

        // Leaves: on_failure succeeded, on_success upstream_failed -> failed, as Airflow.
        var run = h.Store.GetDagRuns(new DagRunQuery { DagId = "handled" }).Single();
        Assert.Equal(DagRunState.Failed, run.State);

        var dag2 = Dag.Create("handled2");
        var work2 = dag2.Task("work", _ => throw new InvalidOperationException("bad input"));
        var alert = dag2.Task("alert", _ => { }, a => a.TriggerRule = TriggerRule.AllDone);
        _ = work2 >> alert;
        Assert.Equal(DagRunState.Success, h.Run(dag2.Build()).State);
    }

    [Fact]
    public void One_failed_handler_is_skipped_when_nothing_fails()
    {
        using var h = new Harness();
        var dag = Dag.Create("happy");
        var a = dag.Task("a", _ => { });
        var b = dag.Task("b", _ => { });
        var alert = dag.Task("alert", _ => { }, x => x.TriggerRule = TriggerRule.OneFailed);
        _ = new[] { a, b } >> alert;
        var run = h.Run(dag.Build());
        Assert.Equal(TaskInstanceState.Skipped, h.States(run)["alert"]);
        Assert.Equal(DagRunState.Success, run.State);
    }

    [Fact]
    public async Task One_success_starts_before_the_other_upstream_tasks_finish()
    {
        using var h = new Harness();
        var release = new TaskCompletionSource();
        var dag = Dag.Create("race");
        var fast = dag.Task("fast", _ => { });
        var slow = dag.Task("slow", async _ => await release.Task);
        var first = dag.Task("first", _ => { }, a => a.TriggerRule = TriggerRule.OneSuccess);
        _ = new[] { fast, slow } >> first;
        var firstDone = h.WhenState("first", TaskInstanceState.Success);
        var run = h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        await firstDone;
        Assert.False(run.IsCompleted);
        Assert.Equal(TaskInstanceState.Running, h.Store.GetTaskInstances("race", DagRunIds.For(DagRunType.Manual, Harness.Epoch)).Single(t => t.TaskId == "slow").State);
        release.SetResult();
        Assert.Equal(DagRunState.Success, (await run.WaitAsync(TimeSpan.FromSeconds(30))).State);
    }

    [Fact]
    public async Task Always_runs_without_waiting_for_upstream()
    {
        using var h = new Harness();
        var release = new TaskCompletionSource();
        var dag = Dag.Create("always");
        var slow = dag.Task("slow", async _ => await release.Task);
        var heartbeat = dag.Task("heartbeat", _ => { }, a => a.TriggerRule = TriggerRule.Always);
        _ = slow >> heartbeat;
        var done = h.WhenState("heartbeat", TaskInstanceState.Success);
        var run = h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        await done;
        release.SetResult();
        Assert.Equal(DagRunState.Success, (await run.WaitAsync(TimeSpan.FromSeconds(30))).State);
    }

    [Fact]
    public void All_failed_runs_cleanup_only_when_everything_failed()
    {
        using var h = new Harness();
        var dag = Dag.Create("all_failed");
        var a = dag.Task("a", _ => throw new InvalidOperationException("a"));
        var b = dag.Task("b", ctx => ctx.Fail("b gives up"));
        var c = dag.Task("c", _ => { });
        var both = dag.Task("both_failed", _ => { }, x => x.TriggerRule = TriggerRule.AllFailed);
        var mixed = dag.Task("mixed", _ => { }, x => x.TriggerRule = TriggerRule.AllFailed);
        _ = new[] { a, b } >> both;
        _ = new[] { a, c } >> mixed;
        var states = h.States(h.Run(dag.Build()));
        Assert.Equal(TaskInstanceState.Success, states["both_failed"]);
        Assert.Equal(TaskInstanceState.Skipped, states["mixed"]);
    }
}
