namespace Mlops.Pipelines;

/// <summary>
/// Configuration of Mlops.Pipelines in a host, bound from the <c>Mlops:Pipelines</c> section: the database, the
/// executor and the scheduler. DAGs are added in code with <see cref="AddDag(Dag)"/>.
/// </summary>
public sealed class PipelineOptions
{
    /// <summary>The name of the section under <c>Mlops</c> these options are bound from (<c>Mlops:Pipelines</c>).</summary>
    public const string SectionName = "Pipelines";

    /// <summary>The SQLite store (used unless an <see cref="IPipelineStore"/> is registered before <c>AddPipelines</c>).</summary>
    public SqlitePipelineStoreOptions Store { get; set; } = new();

    /// <summary>Parallelism, pools and limits.</summary>
    public ExecutorOptions Executor { get; set; } = new();

    /// <summary>Scheduler settings.</summary>
    public SchedulerOptions Scheduler { get; set; } = new();

    /// <summary>Whether the scheduler runs as a hosted service; true by default. Off, the executor and store are still registered (to run DAGs on demand).</summary>
    public bool RunScheduler { get; set; } = true;

    internal List<Func<IServiceProvider, Dag>> DagFactories { get; } = [];

    /// <summary>Registers a built DAG.</summary>
    /// <returns>These options.</returns>
    public PipelineOptions AddDag(Dag dag)
    {
        ArgumentNullException.ThrowIfNull(dag);
        DagFactories.Add(_ => dag);
        return this;
    }

    /// <summary>Registers a DAG built from the host's services when first needed.</summary>
    /// <returns>These options.</returns>
    public PipelineOptions AddDag(Func<IServiceProvider, Dag> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        DagFactories.Add(factory);
        return this;
    }
}
