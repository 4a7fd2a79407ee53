using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mlops.Features.FeatureStore;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Online;
using Mlops.Features.FeatureStore.Registry;
using Mlops.Storage;
using static Mlops.Features.Tests.FeatureStore.FeatureStoreFixture;

namespace Mlops.Features.Tests.FeatureStore;

public sealed class FeatureStoreHostingAndPushTests
{
    [Fact]
    public async Task The_host_binds_Mlops_FeatureStore_and_fails_at_start_without_an_online_store()
    {
        using var fs = new FeatureStoreFixture();
        HostApplicationBuilder Builder(bool withOnlineStore)
        {
            var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Mlops:FeatureStore:Project"] = "shop",
                ["Mlops:FeatureStore:Registry"] = Path.Combine(fs.Folder, "host-registry.json"),
                ["Mlops:FeatureStore:MemoryBudgetBytes"] = "4096",
            });
            builder.Services.AddMlops(builder.Configuration).AddFeatureStore();
            if (withOnlineStore)
            {
                builder.Services.AddSingleton<OnlineStore>(new DictionaryOnlineStore());
            }

            return builder;
        }

        using (var missing = Builder(withOnlineStore: false).Build())
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => missing.StartAsync());
            Assert.Contains("No OnlineStore", error.Message, StringComparison.Ordinal);
        }

        using var host = Builder(withOnlineStore: true).Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<FeatureStoreClient>();
        Assert.Equal("shop", client.Project);
        Assert.IsType<BlobFeatureRegistry>(client.Registry);
        var view = fs.UserStats(fs.WriteSource("s", UserStatsSchema, [[1L, H(0), H(0), 10L, 1.0]]), TimeSpan.Zero);
        await client.ApplyAsync([User, view]);
        Assert.True(File.Exists(Path.Combine(fs.Folder, "host-registry.json")));
        using var reader = new BlobFeatureRegistry(StorageResolver.Default.Resolve(Path.Combine(fs.Folder, "host-registry.json")), "shop");
        Assert.Equal(view, reader.GetSnapshot().FeatureViews["user_stats"]);
        await host.StopAsync();

        var bad = new FeatureStoreOptionsValidator().Validate(null, new FeatureStoreOptions { Project = "no spaces", MemoryBudgetBytes = 1 });
        Assert.Contains("Project", bad.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("MemoryBudgetBytes", bad.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddSqliteOnlineStore_gives_the_host_an_embedded_online_store_bound_from_Mlops_FeatureStore_Sqlite()
    {
        using var fs = new FeatureStoreFixture();
        var path = Path.Combine(fs.Folder, "online", "online_store.db");
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mlops:FeatureStore:Registry"] = Path.Combine(fs.Folder, "sqlite-host-registry.db"),
            ["Mlops:FeatureStore:Sqlite:Path"] = path,
        });
        builder.Services.AddMlops(builder.Configuration).AddFeatureStore().AddSqliteOnlineStore();
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<FeatureStoreClient>();
        Assert.IsType<SqliteOnlineStore>(host.Services.GetRequiredService<OnlineStore>());
        var view = fs.UserStats(fs.WriteSource("s", UserStatsSchema, [[1L, H(0), H(0), 10L, 1.0]]), TimeSpan.Zero);
        await client.ApplyAsync([User, view]);
        await client.WriteToOnlineStoreAsync("user_stats", Frame.FromRows(UserStatsSchema, [[7L, H(1), H(1), 70L, 7.0]]));
        var online = await client.GetOnlineFeaturesAsync(new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [7L, 8L] }, ["user_stats:clicks"]);
        Assert.Equal([70L, null], online["clicks"].Values);
        Assert.Equal([FeatureStatus.Present, FeatureStatus.NotFound], online["clicks"].Statuses);
        Assert.True(File.Exists(path));
        await host.StopAsync();

        var empty = new SqliteOnlineStoreOptionsValidator().Validate(null, new SqliteOnlineStoreOptions { Path = " " });
        Assert.Contains("Mlops:FeatureStore:Sqlite:Path", empty.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_writes_online_and_appends_an_offline_part_the_join_then_reads()
    {
        using var fs = new FeatureStoreFixture();
        var batch = new FileSource("events_batch", fs.WriteSource("events", UserStatsSchema, [[1L, H(0), H(0), 10L, 1.0]])) { CreatedTimestampField = "created" };
        var view = new FeatureView("events", new PushSource("events_push", batch), ["user"], [new FeatureField("clicks", FeatureValueType.Int64), new FeatureField("score", FeatureValueType.Float64)])
        {
            Offline = true,
        };
        await fs.Client.ApplyAsync([User, view]);
        var pushed = Frame.FromRows(UserStatsSchema, [[1L, H(2), H(2), 12L, 2.0], [2L, H(2), H(2), 22L, 2.0]]);

        await fs.Client.PushAsync("events_push", pushed, PushMode.OnlineAndOffline);

        var online = await fs.Client.GetOnlineFeaturesAsync(new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [1L, 2L] }, ["events:clicks"]);
        Assert.Equal([12L, 22L], online["clicks"].Values);
        var offline = fs.Client.GetHistoricalFeatures(Entities((1, H(1)), (1, H(3)), (2, H(3))), ["events:clicks"]).Collect();
        Assert.Equal([10L, 12L, 22L], offline.Select(r => r["clicks"]));

        var older = await fs.Client.WriteToOnlineStoreAsync("events", Frame.FromRows(UserStatsSchema, [[1L, H(1), H(1), 11L, 1.0]]));
        Assert.Equal(new OnlineWriteResult(0, 1), older);
        await Assert.ThrowsAsync<FeatureReferenceException>(() => fs.Client.PushAsync("nope", pushed));
        var noTimestamp = await Assert.ThrowsAsync<EntityDataException>(() => fs.Client.WriteToOnlineStoreAsync("events", pushed.Drop("event_timestamp")));
        Assert.Contains("'event_timestamp'", noTimestamp.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Online_reads_name_missing_join_keys_and_unknown_features()
    {
        using var fs = new FeatureStoreFixture();
        await fs.Client.ApplyAsync([User, fs.UserStats(fs.WriteSource("s", UserStatsSchema, [[1L, H(0), H(0), 10L, 1.0]]), TimeSpan.Zero)]);
        var missing = await Assert.ThrowsAsync<EntityDataException>(() => fs.Client.GetOnlineFeaturesAsync(new Dictionary<string, IReadOnlyList<object?>> { ["uid"] = [1L] }, ["user_stats:clicks"]));
        Assert.Contains("'user_id'", missing.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<FeatureReferenceException>(() => fs.Client.GetOnlineFeaturesAsync(new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [1L] }, ["user_stats:nope"]));
        var service = new FeatureService("model", [new FeatureViewSelection("user_stats", ["score"])]);
        await fs.Client.ApplyAsync([service]);
        var response = await fs.Client.GetOnlineFeaturesAsync(new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [1L] }, service, fullFeatureNames: true);
        Assert.Equal(["user_id", "user_stats__score"], response.FeatureNames);
    }
}
