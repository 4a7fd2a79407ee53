using System.Net;
using System.Net.Sockets;
using Mlops.Features.FeatureStore.Online;
using Mlops.Features.Redis.Tests.Support;
using StackExchange.Redis;

namespace Mlops.Features.Redis.Tests;

/// <summary>What the Redis store does beyond the contract: its key layout, atomicity across clients, and failures that name the server.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisOnlineStoreTests(RedisServerFixture redis)
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _prefix = $"store-{Guid.NewGuid():N}:";

    [Fact]
    public async Task A_row_is_one_hash_per_project_view_and_entity_key_with_a_field_per_feature()
    {
        await using var store = NewStore();
        await store.WriteAsync("shop", "user_stats", [Row(EntityKey.Of("user_id", 7), T0, new() { ["clicks"] = 3L, ["ctr"] = 0.25 })]);
        await using var raw = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);

        var key = $"{_prefix}4:shop:10:user_stats:{EntityKey.Of("user_id", 7).Canonical}";
        var fields = (await raw.GetDatabase().HashGetAllAsync(key)).ToDictionary(e => (string)e.Name!, e => e.Value);

        Assert.Equal(["_ct", "_ts", "f:clicks", "f:ctr"], fields.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(T0.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture), (string)fields["_ts"]!);
        Assert.Equal(3L, OnlineValueCodec.DecodeValue(((ReadOnlyMemory<byte>)fields["f:clicks"]).Span));
    }

    [Fact]
    public async Task Two_clients_writing_one_key_at_once_leave_the_newest_row()
    {
        await using var first = NewStore();
        await using var second = NewStore();
        const int Rounds = 200;

        // Even stamps from one client, odd from the other, interleaved: the script's compare-and-set decides inside Redis.
        var writers = new[] { first, second }.Select((store, w) => Task.Run(async () =>
        {
            for (var r = 0; r < Rounds; r++)
            {
                var stamp = T0.AddTicks((2 * r) + w);
                await store.WriteAsync("p", "v", [Row(EntityKey.Of("k", 1), stamp, new() { ["n"] = (2L * r) + w })]);
            }
        })).ToArray();
        await Task.WhenAll(writers);

        var record = Assert.Single(await first.ReadAsync("p", "v", [EntityKey.Of("k", 1)], ["n"]))!;
        Assert.Equal((2L * (Rounds - 1)) + 1, record.Values["n"]);
        Assert.Equal(T0.AddTicks((2 * (Rounds - 1)) + 1), record.EventTimestamp);
    }

    [Fact]
    public async Task Stores_with_different_key_prefixes_do_not_see_each_other()
    {
        await using var first = NewStore();
        await using var second = new RedisOnlineStore(new RedisOnlineStoreOptions { ConnectionString = redis.ConnectionString, KeyPrefix = _prefix + "other:" });
        await first.WriteAsync("p", "v", [Row(EntityKey.Of("k", 1), T0, new() { ["n"] = 1L })]);

        Assert.Null(Assert.Single(await second.ReadAsync("p", "v", [EntityKey.Of("k", 1)], ["n"])));
        await second.DeleteFeatureViewAsync("p", "v");
        Assert.NotNull(Assert.Single(await first.ReadAsync("p", "v", [EntityKey.Of("k", 1)], ["n"])));
    }

    [Fact]
    public async Task A_store_over_the_applications_connection_leaves_it_open()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using (var store = new RedisOnlineStore(connection, _prefix))
        {
            await store.WriteAsync("p", "v", [Row(EntityKey.Of("k", 1), T0, new() { ["n"] = 1L })]);
            Assert.Equal(1L, Assert.Single(await store.ReadAsync("p", "v", [EntityKey.Of("k", 1)], ["n"]))!.Values["n"]);
        }

        Assert.True(connection.IsConnected);
        Assert.True(await connection.GetDatabase().KeyExistsAsync($"{_prefix}1:p:1:v:{EntityKey.Of("k", 1).Canonical}"));
    }

    [Fact]
    public async Task Writes_go_on_after_the_server_forgets_its_scripts()
    {
        await using var store = NewStore();
        await store.WriteAsync("p", "v", [Row(EntityKey.Of("k", 1), T0, new() { ["n"] = 1L })]);
        await using (var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true"))
        {
            await admin.GetServer(admin.GetEndPoints()[0]).ScriptFlushAsync();
        }

        var result = await store.WriteAsync("p", "v", [Row(EntityKey.Of("k", 1), T0.AddSeconds(1), new() { ["n"] = 2L }), Row(EntityKey.Of("k", 2), T0, new() { ["n"] = 3L })]);

        Assert.Equal(new OnlineWriteResult(2, 0), result);
        Assert.Equal([2L, 3L], (await store.ReadAsync("p", "v", [EntityKey.Of("k", 1), EntityKey.Of("k", 2)], ["n"])).Select(r => r!.Values["n"]));
    }

    [Fact]
    public async Task A_value_not_written_by_the_store_is_a_data_format_error_naming_the_view_and_key()
    {
        await using var store = NewStore();
        await store.WriteAsync("p", "v", [Row(EntityKey.Of("k", 1), T0, new() { ["n"] = 1L })]);
        await using (var raw = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            await raw.GetDatabase().HashSetAsync($"{_prefix}1:p:1:v:{EntityKey.Of("k", 1).Canonical}", "f:n", "not encoded");
        }

        var error = await Assert.ThrowsAsync<DataFormatException>(async () => await store.ReadAsync("p", "v", [EntityKey.Of("k", 1)], ["n"]));

        Assert.Contains("'v'", error.Message, StringComparison.Ordinal);
        Assert.Contains(EntityKey.Of("k", 1).Canonical, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_is_an_error_naming_the_endpoint()
    {
        var port = ClosedLoopbackPort();
        await using var store = new RedisOnlineStore(new RedisOnlineStoreOptions
        {
            ConnectionString = $"127.0.0.1:{port},connectRetry=1",
            ConnectTimeout = TimeSpan.FromSeconds(2),
        });

        var read = await Assert.ThrowsAsync<RedisOnlineStoreException>(async () => await store.ReadAsync("p", "v", [EntityKey.Of("k", 1)], ["n"]));
        var write = await Assert.ThrowsAsync<RedisOnlineStoreException>(async () => await store.WriteAsync("p", "v", [Row(EntityKey.Of("k", 1), T0, new() { ["n"] = 1L })]));

        Assert.Equal($"127.0.0.1:{port}", read.Endpoint);
        Assert.Contains($"127.0.0.1:{port}", read.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", write.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_goes_away_after_connecting_is_an_error_naming_the_endpoint_not_a_hang()
    {
        var own = await RedisServerFixture.StartAsync();
        try
        {
            await using var store = new RedisOnlineStore(new RedisOnlineStoreOptions
            {
                ConnectionString = own.ConnectionString,
                OperationTimeout = TimeSpan.FromSeconds(1),
            });
            await store.WriteAsync("p", "v", [Row(EntityKey.Of("k", 1), T0, new() { ["n"] = 1L })]);

            own.Stop();

            var error = await Assert.ThrowsAsync<RedisOnlineStoreException>(async () => await store.ReadAsync("p", "v", [EntityKey.Of("k", 1), EntityKey.Of("k", 2)], ["n"]));
            Assert.Contains(own.ConnectionString, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await own.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_disposed_store_refuses_work()
    {
        var store = NewStore();
        await store.ReadAsync("p", "v", [EntityKey.Of("k", 1)], ["n"]);
        store.Dispose();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.ReadAsync("p", "v", [EntityKey.Of("k", 1)], ["n"]));
    }

    [Fact]
    public async Task A_write_larger_than_one_pipeline_batch_is_counted_whole()
    {
        await using var store = NewStore();
        var rows = Enumerable.Range(0, 2500).Select(i => Row(EntityKey.Of("k", i), T0, new() { ["n"] = (long)i })).ToArray();

        Assert.Equal(new OnlineWriteResult(2500, 0), await store.WriteAsync("p", "v", rows));
        Assert.Equal(new OnlineWriteResult(0, 2500), await store.WriteAsync("p", "v", rows.Select(r => r with { EventTimestamp = T0.AddTicks(-1) }).ToArray()));
        await store.DeleteFeatureViewAsync("p", "v");
        Assert.All(await store.ReadAsync("p", "v", [.. rows.Select(r => r.Key)], ["n"]), Assert.Null);
    }

    [Fact]
    public void The_glob_escape_matches_only_the_literal_prefix()
    {
        Assert.Equal(@"a\*b\?c\[d\]e\\f\^g\-h", RedisKeyLayout.GlobEscape(@"a*b?c[d]e\f^g-h"));
    }

    private static int ClosedLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static OnlineRow Row(EntityKey key, DateTimeOffset at, Dictionary<string, object?> values) => new(key, at, null, values);

    private RedisOnlineStore NewStore() => new(new RedisOnlineStoreOptions { ConnectionString = redis.ConnectionString, KeyPrefix = _prefix });
}
