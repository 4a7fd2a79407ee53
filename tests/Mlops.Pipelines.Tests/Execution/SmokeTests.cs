using Mlops.Pipelines.Tests.Support;

namespace Mlops.Pipelines.Tests.Execution;

public class SmokeTests
{
    [Fact]
    public void Chain_runs_in_order_and_passes_values()
    {
        using var h = new Harness();
        var order = new List<string>();
        var dag = Dag.Create("smoke");
        var t1 = dag.Task("t1", ctx => { lock (order) { order.Add("t1"); } return 20; });
        var t2 = dag.Task("t2", ctx => { lock (order) { order.Add("t2"); } return ctx.Pull<int>("t1") + 1; });
        var t3 = dag.Task("t3", ctx => { lock (order) { order.Add("t3"); } return ctx.Pull<int>("t2") * 2; });
        _ = t1 >> t2 >> t3;
        var run = h.Run(dag.Build());
        Assert.Equal(DagRunState.Success, run.State);
        Assert.Equal(["t1", "t2", "t3"], order);
        Assert.Equal("42", h.Store.GetXcoms("smoke", run.RunId).Single(x => x.TaskId == "t3").Json);
    }
}
