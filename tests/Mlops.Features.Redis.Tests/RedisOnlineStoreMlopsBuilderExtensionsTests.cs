using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mlops.Features.FeatureStore.Online;
using Mlops.Features.Redis.Tests.Support;
using Mlops.Testing.FeatureStore;

namespace Mlops.Features.Redis.Tests;

/// <summary>Registration through a real generic host: options from Mlops:FeatureStore:Redis, start-time validation, TryAdd.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisOnlineStoreMlopsBuilderExtensionsTests(RedisServerFixture redis)
{
    [Fact]
    public async Task Options_bind_from_the_section_and_the_store_is_the_one_online_store()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Mlops:FeatureStore:Redis:ConnectionString"] = redis.ConnectionString,
            ["Mlops:FeatureStore:Redis:KeyPrefix"] = $"host-{Guid.NewGuid():N}:",
            ["Mlops:FeatureStore:Redis:ConnectTimeout"] = "00:00:03",
            ["Mlops:FeatureStore:Redis:OperationTimeout"] = "00:00:02",
        });
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<RedisOnlineStoreOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(3), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.OperationTimeout);
        var store = host.Services.GetRequiredService<OnlineStore>();
        Assert.Same(host.Services.GetRequiredService<RedisOnlineStore>(), store);
        Assert.Same(store, host.Services.GetRequiredService<OnlineStore>());
        var key = EntityKey.Of("user_id", 1);
        await store.WriteAsync("p", "v", [new OnlineRow(key, DateTimeOffset.UnixEpoch, null, new Dictionary<string, object?> { ["n"] = 1 })]);
        Assert.Equal(1, Assert.Single(await store.ReadAsync("p", "v", [key], ["n"]))!.Values["n"]);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("Mlops:FeatureStore:Redis:ConnectionString", "", "ConnectionString")]
    [InlineData("Mlops:FeatureStore:Redis:OperationTimeout", "00:00:00", "OperationTimeout")]
    [InlineData("Mlops:FeatureStore:Redis:ConnectTimeout", "-00:00:01", "ConnectTimeout")]
    public async Task Bad_options_fail_at_host_start_naming_the_option(string key, string value, string option)
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Mlops:FeatureStore:Redis:ConnectionString"] = redis.ConnectionString,
            [key] = value,
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_built_in_code_are_checked_by_the_constructor()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new RedisOnlineStore(new RedisOnlineStoreOptions { ConnectionString = "127.0.0.1:1", KeyPrefix = null! }));

        Assert.Contains("KeyPrefix", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_string_without_an_endpoint_is_refused_and_its_password_is_not_repeated()
    {
        var result = new RedisOnlineStoreOptionsValidator().Validate(Options.DefaultName, new RedisOnlineStoreOptions { ConnectionString = "password=hunter2,ssl=true" });

        var failure = Assert.Single(result.Failures!);
        Assert.Contains("ConnectionString", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_online_store_registered_first_is_kept()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<OnlineStore, InMemoryOnlineStore>();
        builder.Services.AddMlops().AddRedisOnlineStore(o => o.ConnectionString = redis.ConnectionString);
        using var host = builder.Build();
        await host.StartAsync();

        Assert.IsType<InMemoryOnlineStore>(host.Services.GetRequiredService<OnlineStore>());
        await host.StopAsync();
    }

    [Fact]
    public async Task A_provider_disposed_synchronously_closes_the_store()
    {
        var services = new ServiceCollection();
        services.AddMlops().AddRedisOnlineStore(o => o.ConnectionString = redis.ConnectionString);
        var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<OnlineStore>();

        provider.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.ReadAsync("p", "v", [EntityKey.Of("k", 1)], ["n"]));
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMlops(builder.Configuration).AddRedisOnlineStore();
        return builder.Build();
    }
}
