using System.Diagnostics;
using System.Globalization;
using Mlops.Pipelines;
using Mlops.Testing;

namespace Mlops.Benchmarks.Pipelines;

/// <summary>
/// Scheduling overhead of the executor, side by side with Airflow's published anchor: a 10,000-task DAG of no-op
/// tasks (a chain and a wide fan-out/fan-in), with the in-memory store and the SQLite store (WAL, synchronous=NORMAL,
/// every state change committed before it is acted on). Prints tasks per second and per-task overhead.
///   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- pipelines [--tasks 10000] [--repeats 3] [--dir D]
/// </summary>
public static class PipelineThroughput
{
    /// <summary>Airflow's scheduler considers at best about 1,000 tasks a second (1-2 ms per dependency check).</summary>
    private const double AirflowTasksPerSecond = 1_000;

    /// <summary>Runs the comparison and prints a table; returns 0, or 1 when a goal is missed.</summary>
    public static int Run(IReadOnlyDictionary<string, string> options)
    {
        var tasks = int.Parse(options.GetValueOrDefault("tasks", "10000"), CultureInfo.InvariantCulture);
        var repeats = int.Parse(options.GetValueOrDefault("repeats", "3"), CultureInfo.InvariantCulture);
        var root = options.GetValueOrDefault("dir") ?? Path.Combine(Path.GetTempPath(), $"mlops-pipeline-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        Console.WriteLine($"pipelines: {tasks:N0} no-op tasks per DAG, best of {repeats}, {Environment.ProcessorCount} cores, {RuntimeInfo()}");
        Console.WriteLine($"  anchor: Airflow's scheduler considers at best ~{AirflowTasksPerSecond:N0} tasks/s");
        Console.WriteLine();
        Console.WriteLine("  shape           store     wall (s)   tasks/s     µs/task   vs Airflow");
        var goalsMet = true;
        try
        {
            foreach (var (shape, dag) in new[] { ("chain", PipelineShapes.Chain(tasks)), ("fan-out/fan-in", PipelineShapes.FanOutFanIn(tasks)) })
            {
                foreach (var storeName in new[] { "memory", "sqlite" })
                {
                    var best = TimeSpan.MaxValue;
                    for (var r = 0; r <= repeats; r++)
                    {
                        var path = Path.Combine(root, $"{dag.DagId}-{storeName}-{r}.db");
                        var elapsed = Measure(dag, storeName, path);
                        if (r > 0 && elapsed < best)
                        {
                            best = elapsed; // Repeat 0 warms the JIT and is not counted.
                        }
                    }

                    var perSecond = tasks / best.TotalSeconds;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {shape,-15} {storeName,-8} {best.TotalSeconds,9:0.000} {perSecond,10:N0} {best.TotalMicroseconds / tasks,10:0.0} {perSecond / AirflowTasksPerSecond,10:0.0}x"));
                    goalsMet &= storeName == "memory" ? perSecond >= 10_000 : best < TimeSpan.FromSeconds(2) || tasks > 10_000;
                }
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        Console.WriteLine();
        Console.WriteLine(goalsMet
            ? "  goals met: >= 10,000 tasks/s in memory, 10,000-task DAG < 2 s with SQLite"
            : "  GOAL MISSED: >= 10,000 tasks/s in memory and 10,000-task DAG < 2 s with SQLite");
        return goalsMet ? 0 : 1;
    }

    /// <summary>Runs one DAG run to its end and returns the wall time from creating the run to its end.</summary>
    public static TimeSpan Measure(Dag dag, string storeName, string sqlitePath)
    {
        IPipelineStore store = storeName == "sqlite" ? new SqlitePipelineStore(sqlitePath) : new InMemoryPipelineStore();
        try
        {
            using var executor = new PipelineExecutor(store, new ExecutorOptions { MaxParallelism = Environment.ProcessorCount * 2, DefaultPoolSlots = 100_000 });
            var watch = Stopwatch.StartNew();
            var run = executor.Run(dag, new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
            watch.Stop();
            if (run.State != DagRunState.Success)
            {
                throw new InvalidOperationException($"benchmark run ended {run.State}: {run.Note}");
            }

            return watch.Elapsed;
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    private static string RuntimeInfo() => $".NET {Environment.Version}";
}
