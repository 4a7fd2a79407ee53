using Mlops.Pipelines.Tests.Support;

namespace Mlops.Pipelines.Tests.Viewing;

public class DagRunViewTests
{
    [Fact]
    public void Shows_each_task_with_state_tries_and_reason_under_its_group()
    {
        using var h = new Harness();
        var dag = Dag.Create("view", defaults: new TaskArguments { Retries = 1, RetryDelay = TimeSpan.Zero });
        var prep = dag.Task("prep", _ => { });
        var train = dag.Group("train", g => g.Task("fit", ctx => ctx.Skip("not yet available")));
        _ = prep >> train;
        var built = dag.Build();
        var run = h.Run(built);
        var text = DagRunView.Render(built, h.Store, run.RunId);
        var lines = text.Split('\n');
        Assert.StartsWith("DAG view  run manual__2024-01-01T00:00:00+00:00  ✔ success", lines[0]);
        Assert.Contains(lines, l => l.Contains("prep") && l.Contains("✔ success") && l.Contains("1/2"));
        Assert.Contains(lines, l => l.Trim() == "[train]");
        Assert.Contains(lines, l => l.Contains("    fit") && l.Contains("↷ skipped") && l.Contains("not yet available"));
    }
}
