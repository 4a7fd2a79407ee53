using System.ComponentModel.DataAnnotations;

namespace Mlops.Pipelines;

/// <summary>How the executor runs tasks: parallelism, pools, XCom and log limits, shutdown. Validated when the executor is created.</summary>
public sealed class ExecutorOptions
{
    /// <summary>The most task attempts running at once across all runs (Airflow's <c>parallelism</c>); 32 by default.</summary>
    [Range(1, 100_000)]
    public int MaxParallelism { get; set; } = 32;

    /// <summary>The slots of <see cref="TaskArguments.DefaultPool"/>; 128 by default, as in Airflow.</summary>
    [Range(1, 1_000_000)]
    public int DefaultPoolSlots { get; set; } = 128;

    /// <summary>Named pools and their slots (for instance <c>{ "gpu": 1 }</c>); a task naming a pool that is not here fails the run at start.</summary>
    public Dictionary<string, int> Pools { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The largest XCom value, as JSON; 64 KiB by default. XCom is for small values: pass data through storage.</summary>
    [Range(16, 16 * 1024 * 1024)]
    public int MaxXcomBytes { get; set; } = 64 * 1024;

    /// <summary>Log lines kept per attempt; further lines are counted and dropped. 10,000 by default.</summary>
    [Range(1, 10_000_000)]
    public int MaxLogLinesPerAttempt { get; set; } = 10_000;

    /// <summary>When the executor is stopped, how long to wait for running attempts to observe cancellation; 30 seconds by default.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        var context = new ValidationContext(this);
        Validator.ValidateObject(this, context, validateAllProperties: true);
        foreach (var (name, slots) in Pools)
        {
            if (string.IsNullOrWhiteSpace(name) || slots < 1)
            {
                throw new ValidationException($"ExecutorOptions.Pools: pool '{name}' needs a name and at least 1 slot; got {slots}.");
            }
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            throw new ValidationException($"ExecutorOptions.ShutdownTimeout must not be negative; got {ShutdownTimeout}.");
        }
    }
}
