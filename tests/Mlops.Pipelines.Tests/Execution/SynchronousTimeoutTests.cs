using Mlops.Pipelines.Tests.Support;

namespace Mlops.Pipelines.Tests.Execution;

/// <summary>
/// Execution timeouts on synchronous delegates, which block their thread: the attempt must time out while the work
/// is still blocked (the work blocks until the test releases it, after asserting), be retried per policy, and never
/// be recorded as a success. The fake clock fires the timeout; nothing depends on elapsed time.
/// </summary>
public class SynchronousTimeoutTests
{
    [Fact]
    public async Task A_blocked_synchronous_function_times_out_is_retried_and_its_late_result_is_discarded()
    {
        using var h = new Harness();
        using var gate = new ManualResetEventSlim(false);
        var started = new SemaphoreSlim(0);
        var seenDownstream = new List<string?>();
        var dag = Dag.Create("sync_timeout", defaults: new TaskArguments { Retries = 1, RetryDelay = TimeSpan.FromMinutes(1), ExecutionTimeout = TimeSpan.FromMilliseconds(200) });
        var slow = dag.Task("slow", ctx =>
        {
            if (ctx.TryNumber == 1)
            {
                started.Release();
                gate.Wait(); // Ignores the token, as Thread.Sleep does.
                return "late";
            }

            return "in time";
        });
        var down = dag.Task("down", ctx =>
        {
            lock (seenDownstream)
            {
                seenDownstream.Add(ctx.Pull<string>("slow"));
            }
        });
        _ = slow >> down;
        var retry = h.WhenState("slow", TaskInstanceState.UpForRetry);
        var runTask = h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        try
        {
            Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30)));
            h.Clock.Advance(TimeSpan.FromMilliseconds(200));
            var waiting = await retry;
            Assert.Contains("execution timeout", waiting.Error);
            Assert.Contains("'slow'", waiting.Error);
            Assert.Equal(TaskInstanceState.None, h.States(h.Store.GetDagRuns(new DagRunQuery { DagId = "sync_timeout" }).Single())["down"]);
            h.Clock.Advance(TimeSpan.FromMinutes(1));
            var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(DagRunState.Success, run.State);
            var attempts = h.Store.GetTaskAttempts("sync_timeout", run.RunId, "slow").OrderBy(a => a.TryNumber).ToArray();
            Assert.Equal([TaskInstanceState.Failed, TaskInstanceState.Success], attempts.Select(a => a.State));
            Assert.Contains("execution timeout of 00:00:00.2", attempts[0].Error);
            Assert.Equal(["in time"], seenDownstream);
            Assert.Equal("\"in time\"", h.Store.GetXcoms("sync_timeout", run.RunId).Single(x => x.TaskId == "slow").Json);
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public async Task A_busy_synchronous_action_without_retries_fails_on_timeout_and_its_downstream_does_not_run()
    {
        using var h = new Harness();
        var started = new SemaphoreSlim(0);
        var stop = 0;
        var downstreamRuns = 0;
        var dag = Dag.Create("busy_timeout", defaults: new TaskArguments { ExecutionTimeout = TimeSpan.FromSeconds(2) });
        var busy = dag.Task("busy", _ =>
        {
            started.Release();
            while (Volatile.Read(ref stop) == 0)
            {
                Thread.SpinWait(100);
            }
        });
        var down = dag.Task("down", _ => { Interlocked.Increment(ref downstreamRuns); });
        _ = busy >> down;
        var runTask = h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        try
        {
            Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30)));
            h.Clock.Advance(TimeSpan.FromSeconds(2));
            var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(DagRunState.Failed, run.State);
            var states = h.States(run);
            Assert.Equal(TaskInstanceState.Failed, states["busy"]);
            Assert.Equal(TaskInstanceState.UpstreamFailed, states["down"]);
            var attempt = h.Store.GetTaskAttempts("busy_timeout", run.RunId, "busy").Single();
            Assert.Equal(TaskInstanceState.Failed, attempt.State);
            Assert.Contains("execution timeout", attempt.Error);
            Assert.Equal(0, Volatile.Read(ref downstreamRuns));
        }
        finally
        {
            Volatile.Write(ref stop, 1);
        }
    }
}
