using Microsoft.Data.Sqlite;
using Mlops.Data;
using Mlops.Features.FeatureStore.Online;
using Mlops.Features.Tests.Parquet;

namespace Mlops.Features.Tests.FeatureStore.Online;

/// <summary>What the SQLite store does beyond the contract: a durable file, shared by several stores (processes).</summary>
public sealed class SqliteOnlineStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new();

    private string DatabasePath => _folder.Combine("nested", "online.db");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Rows_survive_closing_and_reopening_the_file()
    {
        await using (var store = new SqliteOnlineStore(DatabasePath))
        {
            await store.WriteAsync("p", "v", [Row(1, T0, 1.5)]);
        }

        await using var reopened = new SqliteOnlineStore(new SqliteOnlineStoreOptions { Path = DatabasePath, Durability = SqliteDurability.PowerLoss });
        var record = Assert.Single(await reopened.ReadAsync("p", "v", [Key(1)], ["score"]))!;
        Assert.Equal(1.5, record.Values["score"]);
        Assert.Equal(T0, record.EventTimestamp);
    }

    [Fact]
    public async Task Two_stores_on_one_file_see_each_others_writes_and_keep_newer_wins()
    {
        await using var first = new SqliteOnlineStore(DatabasePath);
        await using var second = new SqliteOnlineStore(DatabasePath);

        await first.WriteAsync("p", "v", [Row(1, T0.AddHours(1), 2.0)]);
        var older = await second.WriteAsync("p", "v", [Row(1, T0, 1.0)]);

        Assert.Equal(new OnlineWriteResult(0, 1), older);
        Assert.Equal(2.0, (await second.ReadAsync("p", "v", [Key(1)], ["score"]))[0]!.Values["score"]);
    }

    [Fact]
    public async Task The_file_is_in_wal_mode_and_reads_go_on_while_another_connection_holds_the_write_lock()
    {
        await using var store = new SqliteOnlineStore(new SqliteOnlineStoreOptions { Path = DatabasePath, BusyTimeout = TimeSpan.FromMilliseconds(50) });
        await store.WriteAsync("p", "v", [Row(1, T0, 1.0)]);
        using var other = SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(5));
        Assert.Equal("wal", SqliteDatabase.JournalMode(other));

        using (var transaction = SqliteDatabase.BeginWrite(other))
        {
            Assert.Equal(1.0, (await store.ReadAsync("p", "v", [Key(1)], ["score"]))[0]!.Values["score"]);

            // A write waits for the lock only as long as the busy timeout, then fails naming SQLite's busy error.
            var error = await Assert.ThrowsAsync<SqliteException>(async () => await store.WriteAsync("p", "v", [Row(1, T0.AddDays(1), 2.0)]));
            Assert.Equal(5, error.SqliteErrorCode); // SQLITE_BUSY
        }

        Assert.Equal(new OnlineWriteResult(1, 0), await store.WriteAsync("p", "v", [Row(1, T0.AddDays(1), 2.0)]));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(501)]
    [InlineData(1001)]
    [InlineData(1250)]
    public async Task Reads_split_into_statements_return_every_key_in_order(int count)
    {
        await using var store = new SqliteOnlineStore(DatabasePath);
        await store.WriteAsync("p", "v", [.. Enumerable.Range(0, count).Where(i => i % 3 != 0).Select(i => Row(i, T0, i))]);

        var keys = Enumerable.Range(0, count).Reverse().Select(Key).ToArray();
        var records = await store.ReadAsync("p", "v", keys, ["score"]);

        Assert.Equal(count, records.Count);
        for (var p = 0; p < count; p++)
        {
            var i = count - 1 - p;
            if (i % 3 == 0)
            {
                Assert.Null(records[p]);
            }
            else
            {
                Assert.Equal((double)i, records[p]!.Values["score"]);
            }
        }
    }

    [Fact]
    public async Task A_corrupt_stored_row_is_a_data_format_error_naming_the_view_key_and_file()
    {
        await using var store = new SqliteOnlineStore(DatabasePath);
        await store.WriteAsync("p", "v", [Row(1, T0, 1.0)]);
        using (var other = SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(5)))
        using (var corrupt = other.CreateCommand())
        {
            corrupt.CommandText = "UPDATE online_rows SET payload = x'0101';";
            corrupt.ExecuteNonQuery();
        }

        var error = await Assert.ThrowsAsync<DataFormatException>(async () => await store.ReadAsync("p", "v", [Key(1)], ["score"]));

        Assert.Contains("'v'", error.Message, StringComparison.Ordinal);
        Assert.Contains(Key(1).Canonical, error.Message, StringComparison.Ordinal);
        Assert.Contains(DatabasePath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_options_are_refused_naming_the_option()
    {
        Assert.Contains("Path", Assert.Throws<ArgumentException>(() => new SqliteOnlineStore(new SqliteOnlineStoreOptions { Path = " " })).Message, StringComparison.Ordinal);
        var busy = Assert.Throws<ArgumentException>(() => new SqliteOnlineStore(new SqliteOnlineStoreOptions { Path = DatabasePath, BusyTimeout = TimeSpan.Zero }));
        Assert.Contains("BusyTimeout", busy.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_disposed_store_refuses_reads_and_writes()
    {
        var store = new SqliteOnlineStore(DatabasePath);
        await store.ReadAsync("p", "v", [Key(1)], ["score"]);
        await store.DisposeAsync();
        store.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.ReadAsync("p", "v", [Key(1)], ["score"]));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.WriteAsync("p", "v", [Row(1, T0, 1.0)]));
    }

    [Fact]
    public async Task Concurrent_readers_and_a_writer_on_one_store_all_succeed()
    {
        await using var store = new SqliteOnlineStore(DatabasePath);
        await store.WriteAsync("p", "v", [.. Enumerable.Range(0, 100).Select(i => Row(i, T0, i))]);

        var readers = Enumerable.Range(0, 8).Select(r => Task.Run(async () =>
        {
            for (var n = 0; n < 50; n++)
            {
                var records = await store.ReadAsync("p", "v", [Key(n), Key(99 - n)], ["score"]);
                Assert.All(records, record => Assert.NotNull(record));
            }
        }));
        var writer = Task.Run(async () =>
        {
            for (var n = 1; n <= 50; n++)
            {
                await store.WriteAsync("p", "v", [.. Enumerable.Range(0, 100).Select(i => Row(i, T0.AddSeconds(n), i + n))]);
            }
        });
        await Task.WhenAll([.. readers, writer]);

        Assert.Equal(149.0, (await store.ReadAsync("p", "v", [Key(99)], ["score"]))[0]!.Values["score"]);
    }

    private static EntityKey Key(int id) => EntityKey.Of("user_id", id);

    private static OnlineRow Row(int id, DateTimeOffset at, double score) => new(Key(id), at, null, new Dictionary<string, object?> { ["score"] = score });
}
