using System.ComponentModel.DataAnnotations;

namespace Mlops.Features.Redis;

/// <summary>
/// How <see cref="RedisOnlineStore"/> reaches Redis. Bound by
/// <c>services.AddMlops(configuration).AddRedisOnlineStore()</c> from <c>Mlops:FeatureStore:Redis</c> and validated when
/// the host starts; given to <see cref="RedisOnlineStore"/>'s constructor without a host.
/// </summary>
/// <example>
/// <code language="json">
/// "Mlops": { "FeatureStore": { "Redis": {
///   "ConnectionString": "redis.internal:6379,password=...,ssl=true",
///   "KeyPrefix": "shop:", "ConnectTimeout": "00:00:05", "OperationTimeout": "00:00:02" } } }
/// </code>
/// </example>
public sealed class RedisOnlineStoreOptions
{
    /// <summary>The section under <c>Mlops</c> these options are bound from: <c>FeatureStore:Redis</c>.</summary>
    public const string SectionName = "FeatureStore:Redis";

    /// <summary>The key prefix used when none is configured.</summary>
    public const string DefaultKeyPrefix = "mlops:";

    /// <summary>
    /// A StackExchange.Redis configuration string: one or more <c>host:port</c> endpoints and options, e.g.
    /// <c>localhost:6379</c> or <c>redis.internal:6380,password=...,ssl=true,defaultDatabase=2</c>.
    /// </summary>
    [Required]
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// Prepended to every key the store writes (<see cref="DefaultKeyPrefix"/> by default), so several stores or
    /// applications can share one Redis database. May be empty.
    /// </summary>
    public string KeyPrefix { get; set; } = DefaultKeyPrefix;

    /// <summary>How long connecting may take before the store reports Redis unreachable (5 seconds by default).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one read, write or delete round trip may take before it fails (5 seconds by default).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
