using System.ComponentModel.DataAnnotations;

namespace Mlops.Pipelines;

/// <summary>How much a committed write survives.</summary>
public enum SqliteDurability
{
    /// <summary>Committed writes survive a crash or kill of the process (SQLite WAL with <c>synchronous=NORMAL</c>); the last ones may be lost on power loss. The default.</summary>
    ProcessCrash,

    /// <summary>Committed writes also survive power loss (<c>synchronous=FULL</c>: an fsync per commit, much slower).</summary>
    PowerLoss,
}

/// <summary>Options of <see cref="SqlitePipelineStore"/>.</summary>
public sealed class SqlitePipelineStoreOptions
{
    /// <summary>The database file; created with its folder when missing.</summary>
    [Required]
    public string Path { get; set; } = "pipelines.db";

    /// <summary>How much a committed write survives; <see cref="SqliteDurability.ProcessCrash"/> by default.</summary>
    public SqliteDurability Durability { get; set; } = SqliteDurability.ProcessCrash;

    /// <summary>How long to wait for another process that holds the database's write lock; 30 seconds by default.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
