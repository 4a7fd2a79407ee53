using Mlops.Pipelines;

// A child process for the crash/resume tests: runs (or resumes) one DAG run against a SQLite store, and records
// every task execution in a side-effect file. Tests kill it with SIGKILL in the middle and start it again.
//   Mlops.Pipelines.TestWorker <database> <side-effect-file> <gate-file> <tasks> [--resume]
// Task "gate" (the middle of the DAG) waits until <gate-file> exists, so a test can kill the process while tasks
// before it have succeeded, the gate is running and tasks after it have not started.
return WorkerProgram.Run(args);

internal static class WorkerProgram
{
    public static int Run(string[] args)
    {
        if (args.Length < 4)
        {
            Console.Error.WriteLine("usage: Mlops.Pipelines.TestWorker <database> <side-effect-file> <gate-file> <tasks> [--resume]");
            return 2;
        }

        var (database, effects, gate, tasks) = (args[0], args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
        var dag = CrashDag.Build(effects, gate, tasks);
        using var store = new SqlitePipelineStore(database);
        using var executor = new PipelineExecutor(store, new ExecutorOptions { MaxParallelism = 4 });
        DagRunRecord run;
        if (args.Length > 4 && args[4] == "--resume")
        {
            var resumed = executor.ResumeAsync([dag]).GetAwaiter().GetResult();
            if (resumed.Count != 1)
            {
                Console.Error.WriteLine($"expected one run to resume, found {resumed.Count}");
                return 3;
            }

            run = resumed[0];
        }
        else
        {
            run = executor.Run(dag, new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        }

        Console.WriteLine($"run {run.RunId} ended {run.State}");
        return run.State == DagRunState.Success ? 0 : 1;
    }
}

/// <summary>
/// The DAG of the crash test: "before_*" tasks (a fan-out from "start"), the "gate" after them, then "after_*" tasks
/// fanning in to "end". Each task appends "taskId tryNumber" to the side-effect file when it has done its work.
/// </summary>
internal static class CrashDag
{
    public static Dag Build(string effects, string gate, int tasks)
    {
        var dag = Dag.Create("crash_resume", defaults: new TaskArguments { Retries = 2, RetryDelay = TimeSpan.Zero });
        var start = dag.Task("start", ctx => Record(effects, ctx));
        var before = Enumerable.Range(0, tasks).Select(i => dag.Task($"before_{i}", ctx => Record(effects, ctx))).ToArray();
        var gateTask = dag.Task("gate", async ctx =>
        {
            while (!File.Exists(gate))
            {
                await Task.Delay(10, ctx.CancellationToken);
            }

            Record(effects, ctx);
        });
        var after = Enumerable.Range(0, tasks).Select(i => dag.Task($"after_{i}", ctx => Record(effects, ctx))).ToArray();
        var end = dag.Task("end", ctx => Record(effects, ctx));
        _ = start >> before >> gateTask >> after >> end;
        return dag.Build();
    }

    private static readonly Lock FileLock = new();

    private static void Record(string effects, TaskContext ctx)
    {
        // One append per execution, flushed before the task returns (and so before its success is persisted). The
        // lock matters: .NET appends at the end offset it saw, so concurrent appenders would overwrite each other.
        lock (FileLock)
        {
            Append(effects, ctx);
        }
    }

    private static void Append(string effects, TaskContext ctx)
    {
        using var stream = new FileStream(effects, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var line = System.Text.Encoding.UTF8.GetBytes($"{ctx.TaskId} {ctx.TryNumber}\n");
        stream.Write(line);
        stream.Flush(flushToDisk: true);
    }
}
