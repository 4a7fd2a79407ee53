using BenchmarkDotNet.Attributes;
using Mlops.Pipelines;

namespace Mlops.Benchmarks.Pipelines;

/// <summary>BenchmarkDotNet view of the executor's per-task overhead on 1,000-task DAGs (run with <c>bdn --filter *PipelineExecutor*</c>).</summary>
[MemoryDiagnoser]
public class PipelineExecutorBenchmarks
{
    private Dag _dag = null!;
    private string _folder = null!;
    private int _iteration;

    /// <summary>The DAG shape.</summary>
    [Params("chain", "fan")]
    public string Shape { get; set; } = "chain";

    /// <summary>The store.</summary>
    [Params("memory", "sqlite")]
    public string Store { get; set; } = "memory";

    /// <summary>Builds the DAG once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _dag = Shape == "chain" ? PipelineShapes.Chain(1_000) : PipelineShapes.FanOutFanIn(1_000);
        _folder = Path.Combine(Path.GetTempPath(), $"mlops-bdn-pipelines-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
    }

    /// <summary>Removes the databases.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    /// <summary>One run of the 1,000-task DAG, in a fresh store.</summary>
    [Benchmark(OperationsPerInvoke = 1_000)]
    public TimeSpan RunDag() => PipelineThroughput.Measure(_dag, Store, Path.Combine(_folder, $"{_iteration++}.db"));
}
