using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Features.FeatureStore.Online;
using Mlops.Hosting;

namespace Mlops.Features.Redis;

/// <summary>Adds Redis as the feature store's online store to the host's <see cref="MlopsBuilder"/>.</summary>
public static class RedisOnlineStoreMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="RedisOnlineStoreOptions"/> (from <c>Mlops:FeatureStore:Redis</c> when the builder has
    /// configuration, then <paramref name="configure"/>; validated when the host starts) and a singleton
    /// <see cref="RedisOnlineStore"/> as the <see cref="OnlineStore"/>, unless one is registered already (a test's
    /// in-memory store). The store connects on first use.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddRedisOnlineStore(this MlopsBuilder builder, Action<RedisOnlineStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddRedisOnlineStore(builder.Section(RedisOnlineStoreOptions.SectionName), configure);
    }

    /// <summary>Registers the Redis online store as <see cref="AddRedisOnlineStore(MlopsBuilder, Action{RedisOnlineStoreOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:FeatureStore:Redis</c>), or null for code only.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddRedisOnlineStore(this MlopsBuilder builder, IConfiguration? configuration, Action<RedisOnlineStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOptions<RedisOnlineStoreOptions, RedisOnlineStoreOptionsValidator>(configuration, configure);
        builder.Services.TryAddSingleton(provider => new RedisOnlineStore(provider.GetRequiredService<IOptions<RedisOnlineStoreOptions>>().Value));
        builder.Services.TryAddSingleton<OnlineStore>(provider => provider.GetRequiredService<RedisOnlineStore>());
        return builder;
    }
}
