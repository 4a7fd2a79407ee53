using Mlops.Pipelines.Tests.Support;

namespace Mlops.Pipelines.Tests.Execution;

/// <summary>Issue 12, fault 9: return values, process output, XCom pulls, failed starts and retry delays.</summary>
public class TaskFaultTests
{
    [Fact]
    public void NaN_return_value_fails_saying_NaN()
    {
        using var h = new Harness();
        var dag = Dag.Create("nan");
        dag.Task("t", _ => double.NaN);
        var run = h.Run(dag.Build());

        var ti = h.Store.GetTaskInstances("nan", run.RunId).Single();
        Assert.Equal(TaskInstanceState.Failed, ti.State);
        Assert.Contains("NaN", ti.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("infinity", ti.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Process_that_succeeds_with_a_last_line_over_the_XCom_limit_succeeds_without_pushing_it()
    {
        using var h = new Harness();
        var dag = Dag.Create("long_line");
        var longLine = "head -c 300000 /dev/zero | tr '\\0' x; echo";
        dag.ProcessTask("push", new ProcessTaskOptions { FileName = "/bin/sh", Arguments = { "-c", longLine } });
        dag.ProcessTask("no_push", new ProcessTaskOptions { FileName = "/bin/sh", Arguments = { "-c", longLine }, PushLastLine = false });
        dag.ProcessTask("long_then_short", new ProcessTaskOptions { FileName = "/bin/sh", Arguments = { "-c", longLine + "; echo done" } });
        var run = h.Run(dag.Build());

        var states = h.States(run);
        Assert.Equal(TaskInstanceState.Success, states["push"]);
        Assert.Equal(TaskInstanceState.Success, states["no_push"]);
        Assert.Equal(TaskInstanceState.Success, states["long_then_short"]);
        var xcoms = h.Store.GetXcoms("long_line", run.RunId);
        Assert.Equal("\"done\"", Assert.Single(xcoms).Json);
        Assert.Contains(h.Store.GetTaskLog("long_line", run.RunId, "push", 1), l => l.Message.Contains("not pushed", StringComparison.Ordinal));
    }

    [Fact]
    public void Pull_of_a_missing_key_throws_naming_task_and_key_and_TryPull_reports_it()
    {
        using var h = new Harness();
        Exception? pulled = null;
        var found = true;
        var dag = Dag.Create("pull");
        var a = dag.Task("a", _ => 1L);
        var b = dag.Task("b", ctx =>
        {
            pulled = Record.Exception(() => ctx.Pull<long>("a", "rows"));
            found = ctx.TryPull<long>("a", out _, "rows");
            Assert.Equal(1L, ctx.Pull<long>("a"));
        });
        _ = a >> b;
        var run = h.Run(dag.Build());

        Assert.Equal(DagRunState.Success, run.State);
        var e = Assert.IsType<XcomNotFoundException>(pulled);
        Assert.Equal(("a", "rows"), (e.FromTaskId, e.Key));
        Assert.Contains("'a'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'rows'", e.Message, StringComparison.Ordinal);
        Assert.False(found);
    }

    [Fact]
    public void Missing_executable_is_a_failed_try_that_is_retried()
    {
        using var h = new Harness();
        var dag = Dag.Create("missing", defaults: new TaskArguments { Retries = 1, RetryDelay = TimeSpan.Zero });
        dag.ProcessTask("missing", new ProcessTaskOptions { FileName = "/no/such/program" });
        var run = h.Run(dag.Build());

        var ti = h.Store.GetTaskInstances("missing", run.RunId).Single();
        Assert.Equal(TaskInstanceState.Failed, ti.State);
        Assert.Equal(2, ti.TryNumber);
        Assert.Contains("/no/such/program", ti.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5, 1, 1, 1)]
    [InlineData(0.5, 2, 1, 1)]
    [InlineData(0.5, 3, 2, 3)]
    [InlineData(1.2, 1, 2, 3)]
    [InlineData(0.0, 1, 1, 1)]
    [InlineData(10.0, 3, 40, 79)]
    public void Exponential_backoff_is_whole_seconds_as_Airflow_computes_it(double retryDelaySeconds, int failedTry, int minSeconds, int maxSeconds)
    {
        // Airflow: min_backoff = max(1, ceil(delay * 2^(try-1))) seconds; delay = min_backoff + hash % min_backoff.
        var dag = Dag.Create("fractional", defaults: new TaskArguments { Retries = 5, RetryDelay = TimeSpan.FromSeconds(retryDelaySeconds), RetryExponentialBackoff = true });
        dag.Task("t", _ => { });
        var task = dag.Build().GetTask("t");
        for (var run = 0; run < 20; run++)
        {
            var delay = RetryBackoff.Delay(task, $"run{run}", failedTry);
            Assert.Equal(0, delay.Ticks % TimeSpan.TicksPerSecond);
            Assert.InRange(delay.TotalSeconds, minSeconds, maxSeconds);
        }
    }
}
