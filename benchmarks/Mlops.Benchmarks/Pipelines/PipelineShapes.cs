using Mlops.Pipelines;

namespace Mlops.Benchmarks.Pipelines;

/// <summary>The DAG shapes the scheduling-overhead benchmarks run: no-op tasks, so only the executor is measured.</summary>
public static class PipelineShapes
{
    /// <summary>t0 &gt;&gt; t1 &gt;&gt; ... : every task waits for the previous one (no parallelism; pure per-task latency).</summary>
    public static Dag Chain(int tasks)
    {
        var dag = Dag.Create($"chain_{tasks}");
        DagTaskBuilder? previous = null;
        for (var i = 0; i < tasks; i++)
        {
            var task = dag.Task($"t{i}", NoOp);
            if (previous is not null)
            {
                _ = previous >> task;
            }

            previous = task;
        }

        return dag.Build();
    }

    /// <summary>start &gt;&gt; [w0 .. wN-3] &gt;&gt; end: one fan-out to (tasks - 2) parallel tasks and one fan-in.</summary>
    public static Dag FanOutFanIn(int tasks)
    {
        var dag = Dag.Create($"fan_{tasks}");
        var start = dag.Task("start", NoOp);
        var end = dag.Task("end", NoOp);
        var middle = new DagTaskBuilder[tasks - 2];
        for (var i = 0; i < middle.Length; i++)
        {
            middle[i] = dag.Task($"w{i}", NoOp);
        }

        _ = start >> middle >> end;
        return dag.Build();
    }

    private static void NoOp(TaskContext context)
    {
    }
}
