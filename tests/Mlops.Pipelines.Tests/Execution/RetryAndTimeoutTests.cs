using Mlops.Pipelines.Tests.Support;

namespace Mlops.Pipelines.Tests.Execution;

/// <summary>Retries, backoff and execution timeouts driven by a fake clock: nothing sleeps.</summary>
public class RetryAndTimeoutTests
{
    [Fact]
    public async Task Retries_wait_exactly_the_retry_delay_and_then_succeed()
    {
        using var h = new Harness();
        var tries = 0;
        var dag = Dag.Create("retry", defaults: new TaskArguments { Retries = 2, RetryDelay = TimeSpan.FromMinutes(5) });
        dag.Task("flaky", ctx =>
        {
            Interlocked.Increment(ref tries);
            if (ctx.TryNumber < 3)
            {
                throw new IOException($"transient {ctx.TryNumber}");
            }
        });
        var built = dag.Build();
        var firstRetry = h.WhenState("flaky", TaskInstanceState.UpForRetry, tryNumber: 1);
        var runTask = h.Executor.RunAsync(built, Harness.Epoch);

        var waiting = await firstRetry;
        Assert.Equal(Harness.Epoch + TimeSpan.FromMinutes(5), waiting.NextAttemptAt);
        var secondRetry = h.WhenState("flaky", TaskInstanceState.UpForRetry, tryNumber: 2);
        h.Clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        Assert.Equal(1, Volatile.Read(ref tries));
        h.Clock.Advance(TimeSpan.FromTicks(1));
        await secondRetry;
        Assert.Equal(2, Volatile.Read(ref tries));
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(DagRunState.Success, run.State);
        var attempts = h.Store.GetTaskAttempts("retry", run.RunId, "flaky");
        Assert.Equal([TaskInstanceState.Failed, TaskInstanceState.Failed, TaskInstanceState.Success], attempts.Select(a => a.State));
        Assert.Equal("IOException: transient 1", attempts[0].Error);
        var ti = h.Store.GetTaskInstances("retry", run.RunId).Single();
        Assert.Equal((3, 3), (ti.TryNumber, ti.MaxTries));
        Assert.Contains(h.Store.GetTaskLog("retry", run.RunId, "flaky", 1), l => l.Message.Contains("transient 1"));
    }

    [Fact]
    public async Task Retries_run_out_and_the_task_fails()
    {
        using var h = new Harness();
        var dag = Dag.Create("exhausted", defaults: new TaskArguments { Retries = 1, RetryDelay = TimeSpan.FromSeconds(30) });
        var t = dag.Task("always_fails", _ => throw new InvalidOperationException("no"));
        var after = dag.Task("after", _ => { });
        _ = t >> after;
        var retry = h.WhenState("always_fails", TaskInstanceState.UpForRetry);
        var runTask = h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        await retry;
        h.Clock.Advance(TimeSpan.FromSeconds(30));
        var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DagRunState.Failed, run.State);
        Assert.Equal(2, h.Store.GetTaskAttempts("exhausted", run.RunId, "always_fails").Count);
        Assert.Equal(TaskInstanceState.UpstreamFailed, h.States(run)["after"]);
    }

    [Fact]
    public void Fail_without_retry_ignores_remaining_retries()
    {
        using var h = new Harness();
        var dag = Dag.Create("fail_now", defaults: new TaskArguments { Retries = 5 });
        dag.Task("t", ctx => ctx.Fail("bad configuration"));
        var run = h.Run(dag.Build());
        Assert.Equal(DagRunState.Failed, run.State);
        var attempt = Assert.Single(h.Store.GetTaskAttempts("fail_now", run.RunId));
        Assert.Equal("bad configuration", attempt.Error);
    }

    [Fact]
    public void Exponential_backoff_doubles_with_deterministic_jitter_and_a_cap()
    {
        var dag = Dag.Create("backoff", defaults: new TaskArguments
        {
            Retries = 10, RetryDelay = TimeSpan.FromSeconds(10), RetryExponentialBackoff = true, MaxRetryDelay = TimeSpan.FromMinutes(2),
        });
        dag.Task("t", _ => { });
        var task = dag.Build().GetTask("t");
        for (var k = 1; k <= 3; k++)
        {
            var minimum = TimeSpan.FromSeconds(10 * Math.Pow(2, k - 1));
            var delay = RetryBackoff.Delay(task, "run", k);
            Assert.InRange(delay, minimum, (2 * minimum) - TimeSpan.FromTicks(1));
            Assert.Equal(delay, RetryBackoff.Delay(task, "run", k));
        }

        Assert.Equal(TimeSpan.FromMinutes(2), RetryBackoff.Delay(task, "run", 5));
        Assert.Equal(TimeSpan.FromMinutes(2), RetryBackoff.Delay(task, "run", 60));
        // Whole seconds as Airflow: the first retry waits 10 to 19 s, so 20 runs see several of those 10 values.
        var delays = Enumerable.Range(0, 20).Select(i => RetryBackoff.Delay(task, $"run{i}", 1)).Distinct().Count();
        Assert.True(delays > 5, "jitter differs between runs");
    }

    [Fact]
    public async Task Backoff_delay_is_what_the_executor_waits()
    {
        using var h = new Harness();
        var dag = Dag.Create("backoff_run", defaults: new TaskArguments { Retries = 2, RetryDelay = TimeSpan.FromSeconds(10), RetryExponentialBackoff = true });
        dag.Task("t", ctx =>
        {
            if (ctx.TryNumber < 3)
            {
                throw new IOException("again");
            }
        });
        var built = dag.Build();
        var runId = DagRunIds.For(DagRunType.Manual, Harness.Epoch);
        var first = h.WhenState("t", TaskInstanceState.UpForRetry, 1);
        var runTask = h.Executor.RunAsync(built, Harness.Epoch);
        var waiting = await first;
        Assert.Equal(waiting.EndDate + RetryBackoff.Delay(built.GetTask("t"), runId, 1), waiting.NextAttemptAt);
        var second = h.WhenState("t", TaskInstanceState.UpForRetry, 2);
        h.Clock.Advance(waiting.NextAttemptAt!.Value - h.Clock.GetUtcNow());
        waiting = await second;
        Assert.Equal(waiting.EndDate + RetryBackoff.Delay(built.GetTask("t"), runId, 2), waiting.NextAttemptAt);
        h.Clock.Advance(waiting.NextAttemptAt!.Value - h.Clock.GetUtcNow());
        Assert.Equal(DagRunState.Success, (await runTask.WaitAsync(TimeSpan.FromSeconds(30))).State);
    }

    [Fact]
    public async Task Execution_timeout_cancels_the_attempt_and_is_retried()
    {
        using var h = new Harness();
        var started = new SemaphoreSlim(0);
        var observedCancellation = 0;
        var cancellationSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dag = Dag.Create("timeout", defaults: new TaskArguments { Retries = 1, RetryDelay = TimeSpan.FromMinutes(1), ExecutionTimeout = TimeSpan.FromMinutes(10) });
        dag.Task("slow", async ctx =>
        {
            if (ctx.TryNumber == 2)
            {
                return "fast enough";
            }

            started.Release();
            try
            {
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref observedCancellation);
                cancellationSeen.TrySetResult();
                throw;
            }

            return "unreachable";
        });
        var retry = h.WhenState("slow", TaskInstanceState.UpForRetry);
        var runTask = h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30)));
        h.Clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.False(retry.IsCompleted);
        h.Clock.Advance(TimeSpan.FromTicks(1));
        var waiting = await retry;
        Assert.Contains("execution timeout", waiting.Error);
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));

        // The executor does not wait for a timed-out attempt to unwind (it may ignore cancellation), so the
        // first attempt's catch block can run after the retry has finished: wait for it, boundedly.
        await cancellationSeen.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(DagRunState.Success, run.State);
        Assert.Equal(1, Volatile.Read(ref observedCancellation));
        Assert.Equal("\"fast enough\"", h.Store.GetXcoms("timeout", run.RunId).Single().Json);
    }

    [Fact]
    public async Task A_task_that_ignores_cancellation_still_times_out()
    {
        using var h = new Harness();
        var never = new TaskCompletionSource();
        var started = new SemaphoreSlim(0);
        var dag = Dag.Create("stubborn", defaults: new TaskArguments { ExecutionTimeout = TimeSpan.FromSeconds(5) });
        dag.Task("t", async _ =>
        {
            started.Release();
            await never.Task;
        });
        var runTask = h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30)));
        h.Clock.Advance(TimeSpan.FromSeconds(5));
        var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DagRunState.Failed, run.State);
        never.SetResult();
    }

    [Fact]
    public async Task Run_timeout_fails_the_run_and_skips_unfinished_tasks()
    {
        using var h = new Harness();
        var started = new SemaphoreSlim(0);
        var dag = Dag.Create("run_timeout");
        dag.DagRunTimeout = TimeSpan.FromHours(1);
        var slow = dag.Task("slow", async ctx =>
        {
            started.Release();
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
        });
        var next = dag.Task("next", _ => { });
        _ = slow >> next;
        var runTask = h.Executor.RunAsync(dag.Build(), Harness.Epoch);
        Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30)));
        h.Clock.Advance(TimeSpan.FromHours(1));
        var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DagRunState.Failed, run.State);
        Assert.Contains("timed out", run.Note);
        Assert.All(h.States(run).Values, s => Assert.Equal(TaskInstanceState.Skipped, s));
    }
}
