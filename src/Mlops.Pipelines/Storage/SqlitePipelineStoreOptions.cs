using System.ComponentModel.DataAnnotations;
using Mlops.Data;

namespace Mlops.Pipelines;

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
