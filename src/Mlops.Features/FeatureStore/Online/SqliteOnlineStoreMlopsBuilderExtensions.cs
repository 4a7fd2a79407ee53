using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Features.FeatureStore.Online;
using Mlops.Hosting;

namespace Mlops.Features.FeatureStore;

/// <summary>Adds the embedded SQLite online store (Feast's default <c>online_store: sqlite</c>) to the host's <see cref="MlopsBuilder"/>.</summary>
public static class SqliteOnlineStoreMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="SqliteOnlineStoreOptions"/> (from <c>Mlops:FeatureStore:Sqlite</c>, then <paramref name="configure"/>;
    /// validated when the host starts) and a singleton <see cref="SqliteOnlineStore"/> as the <see cref="OnlineStore"/>,
    /// unless one is registered already (a test's in-memory store).
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddSqliteOnlineStore(this MlopsBuilder builder, Action<SqliteOnlineStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSqliteOnlineStore(builder.Section(SqliteOnlineStoreOptions.SectionName), configure);
    }

    /// <summary>Registers the SQLite online store as <see cref="AddSqliteOnlineStore(MlopsBuilder, Action{SqliteOnlineStoreOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:FeatureStore:Sqlite</c>), or null for code only.</param>
    /// <param name="configure">Code overrides, applied after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddSqliteOnlineStore(this MlopsBuilder builder, IConfiguration? configuration, Action<SqliteOnlineStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOptions<SqliteOnlineStoreOptions, SqliteOnlineStoreOptionsValidator>(configuration, configure);
        builder.Services.TryAddSingleton(provider => new SqliteOnlineStore(provider.GetRequiredService<IOptions<SqliteOnlineStoreOptions>>().Value));
        builder.Services.TryAddSingleton<OnlineStore>(provider => provider.GetRequiredService<SqliteOnlineStore>());
        return builder;
    }
}
