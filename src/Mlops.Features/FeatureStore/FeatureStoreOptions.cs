using System.ComponentModel.DataAnnotations;

namespace Mlops.Features.FeatureStore;

/// <summary>
/// The feature store's settings, bound from <c>Mlops:FeatureStore</c> by <c>.AddFeatureStore()</c> and validated at
/// start; given to <see cref="FeatureStoreClient"/>'s constructor without a host.
/// </summary>
/// <example>
/// <code language="json">
/// "Mlops": { "FeatureStore": { "Project": "shop", "Registry": "data/registry.db", "RegistryRefreshInterval": "00:01:00", "MemoryBudgetBytes": 268435456 } }
/// </code>
/// </example>
public sealed class FeatureStoreOptions
{
    /// <summary>The name of the section under <c>Mlops</c> (<c>Mlops:FeatureStore</c>).</summary>
    public const string SectionName = "FeatureStore";

    /// <summary>The project (letters, digits, underscores); the registry and the online store keep projects apart.</summary>
    [Required]
    public string Project { get; set; } = "default";

    /// <summary>
    /// Where the registry lives: a SQLite file path (the default, <c>registry.db</c>), or a location ending in
    /// <c>.json</c> (a local path or a blob URI) for a JSON file on a <see cref="Mlops.Storage.BlobStore"/>.
    /// </summary>
    [Required]
    public string Registry { get; set; } = "registry.db";

    /// <summary>How long readers reuse a registry snapshot before reading it again (Feast's <c>cache_ttl_seconds</c>); zero: always read.</summary>
    public TimeSpan RegistryRefreshInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Bytes of rows point-in-time joins and materializations hold before partitions spill to <see cref="SpillDirectory"/>.</summary>
    [Range(1024, long.MaxValue)]
    public long MemoryBudgetBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Where spill files go; the system temp folder if null.</summary>
    public string? SpillDirectory { get; set; }

    /// <summary>Rows per online-store write during materialization and pushes.</summary>
    [Range(1, 1_000_000)]
    public int OnlineWriteBatchSize { get; set; } = 1000;
}
