using System.ComponentModel.DataAnnotations;
using Mlops.Data;

namespace Mlops.Features.FeatureStore.Online;

/// <summary>Where and how <see cref="SqliteOnlineStore"/> keeps its database.</summary>
public sealed class SqliteOnlineStoreOptions
{
    /// <summary>The section under <c>Mlops</c> these options are bound from by <c>AddSqliteOnlineStore()</c> (<c>Mlops:FeatureStore:Sqlite</c>).</summary>
    public const string SectionName = "FeatureStore:Sqlite";

    /// <summary>The database file (created with its folder when missing), e.g. <c>data/online_store.db</c>.</summary>
    [Required]
    public string Path { get; set; } = "online_store.db";

    /// <summary>How much a committed write survives: a crash of the process (the default) or also power loss.</summary>
    public SqliteDurability Durability { get; set; } = SqliteDurability.ProcessCrash;

    /// <summary>How long a write waits for another process's write lock before failing; positive (60 seconds by default).</summary>
    public TimeSpan BusyTimeout { get; set; } = SqliteDatabase.DefaultBusyTimeout;
}
