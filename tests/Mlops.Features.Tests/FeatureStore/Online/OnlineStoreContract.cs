using Mlops.Features.FeatureStore.Online;

namespace Mlops.Features.Tests.FeatureStore.Online;

/// <summary>
/// The contract every <see cref="OnlineStore"/> passes: the SQLite store (a file), Mlops.Testing's in-memory store and
/// the Redis store (a real redis-server) derive from this class, so none of them can drift. Each test gets a fresh,
/// empty store from <see cref="CreateStoreAsync"/>.
/// </summary>
/// <remarks>The Redis tests link this file (<c>&lt;Compile Include="..\Mlops.Features.Tests\FeatureStore\Online\OnlineStoreContract.cs" /&gt;</c>); it uses public API only.</remarks>
public abstract class OnlineStoreContract : IAsyncLifetime
{
    protected const string Project = "shop";
    protected const string View = "user_stats";

    protected static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private OnlineStore? _store;

    /// <summary>The store under test.</summary>
    protected OnlineStore Store => _store ?? throw new InvalidOperationException("InitializeAsync has not run.");

    /// <summary>A new, empty store (its own file, database or key prefix).</summary>
    protected abstract ValueTask<OnlineStore> CreateStoreAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Every_value_type_round_trips_with_its_exact_type()
    {
        var values = new Dictionary<string, object?>
        {
            ["long"] = long.MinValue,
            ["int"] = int.MaxValue,
            ["double"] = -0.0,
            ["double_nan"] = double.NaN,
            ["double_inf"] = double.PositiveInfinity,
            ["float"] = 3.25f,
            ["bool_true"] = true,
            ["bool_false"] = false,
            ["string"] = "héllo, 世界 🙂",
            ["string_empty"] = "",
            ["bytes"] = new byte[] { 0, 1, 255, 128 },
            ["bytes_empty"] = Array.Empty<byte>(),
            ["floats"] = new[] { 1.5f, float.MinValue, float.NaN },
            ["doubles"] = new[] { Math.PI, double.Epsilon },
            ["longs"] = new[] { long.MaxValue, -1L, 0L },
            ["longs_empty"] = Array.Empty<long>(),
            ["null"] = null,
        };
        await WriteAsync(Row(Key(1), T0, values));

        var record = Assert.Single(await ReadAsync([Key(1)], [.. values.Keys]))!;

        Assert.Equal(values.Count, record.Values.Count);
        Assert.Equal(long.MinValue, Assert.IsType<long>(record.Values["long"]));
        Assert.Equal(int.MaxValue, Assert.IsType<int>(record.Values["int"]));
        Assert.True(double.IsNegative(Assert.IsType<double>(record.Values["double"])), "-0.0 keeps its sign");
        Assert.True(double.IsNaN(Assert.IsType<double>(record.Values["double_nan"])));
        Assert.Equal(double.PositiveInfinity, Assert.IsType<double>(record.Values["double_inf"]));
        Assert.Equal(3.25f, Assert.IsType<float>(record.Values["float"]));
        Assert.True(Assert.IsType<bool>(record.Values["bool_true"]));
        Assert.False(Assert.IsType<bool>(record.Values["bool_false"]));
        Assert.Equal("héllo, 世界 🙂", Assert.IsType<string>(record.Values["string"]));
        Assert.Equal("", Assert.IsType<string>(record.Values["string_empty"]));
        Assert.Equal(new byte[] { 0, 1, 255, 128 }, Assert.IsType<byte[]>(record.Values["bytes"]));
        Assert.Empty(Assert.IsType<byte[]>(record.Values["bytes_empty"]));
        var floats = Assert.IsType<float[]>(record.Values["floats"]);
        Assert.Equal(new[] { 1.5f, float.MinValue }, floats[..2]);
        Assert.True(float.IsNaN(floats[2]));
        Assert.Equal(new[] { Math.PI, double.Epsilon }, Assert.IsType<double[]>(record.Values["doubles"]));
        Assert.Equal(new[] { long.MaxValue, -1L, 0L }, Assert.IsType<long[]>(record.Values["longs"]));
        Assert.Empty(Assert.IsType<long[]>(record.Values["longs_empty"]));
        Assert.True(record.Values.ContainsKey("null"));
        Assert.Null(record.Values["null"]);
    }

    [Fact]
    public async Task Event_timestamps_round_trip_to_the_tick_and_come_back_in_utc()
    {
        // 100 ns ticks (finer than Feast's microseconds), given with an offset, and a date before 1970.
        var precise = new DateTimeOffset(2024, 5, 1, 14, 30, 15, TimeSpan.FromHours(2)).AddTicks(1_234_567);
        var early = new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1);
        await WriteAsync(Row(Key(1), precise, Values(1.0)), Row(Key(2), early, Values(2.0)));

        var records = await ReadAsync([Key(1), Key(2)], ["score"]);

        Assert.Equal(precise.UtcTicks, records[0]!.EventTimestamp.UtcTicks);
        Assert.Equal(TimeSpan.Zero, records[0]!.EventTimestamp.Offset);
        Assert.Equal(precise, records[0]!.EventTimestamp);
        Assert.Equal(early, records[1]!.EventTimestamp);
    }

    [Fact]
    public async Task Absent_keys_read_as_null_in_their_positions()
    {
        await WriteAsync(Row(Key(2), T0, Values(2.0)));

        var records = await ReadAsync([Key(1), Key(2), Key(3)], ["score"]);

        Assert.Equal(3, records.Count);
        Assert.Null(records[0]);
        Assert.Equal(2.0, records[1]!.Values["score"]);
        Assert.Null(records[2]);
    }

    [Fact]
    public async Task A_store_with_nothing_written_reads_null_for_one_key_and_for_many()
    {
        Assert.Null(Assert.Single(await ReadAsync([Key(1)], ["score"])));
        Assert.All(await ReadAsync([Key(1), Key(2)], ["score"]), Assert.Null);
    }

    [Fact]
    public async Task Only_requested_features_are_returned()
    {
        await WriteAsync(Row(Key(1), T0, new Dictionary<string, object?> { ["a"] = 1L, ["b"] = 2L, ["c"] = 3L }));

        var record = Assert.Single(await ReadAsync([Key(1)], ["c", "a"]))!;

        Assert.Equal(["a", "c"], record.Values.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1L, record.Values["a"]);
        Assert.Equal(3L, record.Values["c"]);
    }

    [Fact]
    public async Task A_feature_never_written_is_absent_while_a_written_null_is_present()
    {
        await WriteAsync(Row(Key(1), T0, new Dictionary<string, object?> { ["a"] = 1L, ["n"] = null }));

        var record = Assert.Single(await ReadAsync([Key(1)], ["a", "n", "never"]))!;

        Assert.False(record.Values.ContainsKey("never"));
        Assert.True(record.Values.ContainsKey("n"));
        Assert.Null(record.Values["n"]);
        Assert.Equal(2, record.Values.Count);
    }

    [Fact]
    public async Task Asking_for_no_features_returns_the_row_with_its_timestamp_and_no_values()
    {
        await WriteAsync(Row(Key(1), T0, Values(1.0)));

        var record = Assert.Single(await ReadAsync([Key(1)], []))!;

        Assert.Equal(T0, record.EventTimestamp);
        Assert.Empty(record.Values);
    }

    [Fact]
    public async Task No_keys_read_no_records()
    {
        Assert.Empty(await ReadAsync([], ["score"]));
    }

    [Fact]
    public async Task The_same_key_asked_twice_is_answered_twice()
    {
        await WriteAsync(Row(Key(1), T0, Values(1.0)));

        var records = await ReadAsync([Key(1), Key(9), Key(1)], ["score"]);

        Assert.Equal(1.0, records[0]!.Values["score"]);
        Assert.Null(records[1]);
        Assert.Equal(1.0, records[2]!.Values["score"]);
    }

    [Fact]
    public async Task An_older_event_timestamp_is_skipped()
    {
        Assert.Equal(new OnlineWriteResult(1, 0), await WriteAsync(Row(Key(1), T0.AddHours(1), Values(2.0))));

        var result = await WriteAsync(Row(Key(1), T0, Values(1.0)));

        Assert.Equal(new OnlineWriteResult(0, 1), result);
        var record = Assert.Single(await ReadAsync([Key(1)], ["score"]))!;
        Assert.Equal(2.0, record.Values["score"]);
        Assert.Equal(T0.AddHours(1), record.EventTimestamp);
    }

    [Fact]
    public async Task A_newer_event_timestamp_replaces_the_whole_row()
    {
        await WriteAsync(Row(Key(1), T0, new Dictionary<string, object?> { ["score"] = 1.0, ["old_only"] = "x" }));

        var result = await WriteAsync(Row(Key(1), T0.AddTicks(1), Values(2.0)));

        Assert.Equal(new OnlineWriteResult(1, 0), result);
        var record = Assert.Single(await ReadAsync([Key(1)], ["score", "old_only"]))!;
        Assert.Equal(2.0, record.Values["score"]);
        Assert.False(record.Values.ContainsKey("old_only"), "the newest row is kept whole: a feature it lacks is not carried over");
        Assert.Equal(T0.AddTicks(1), record.EventTimestamp);
    }

    [Fact]
    public async Task On_equal_event_timestamps_the_later_created_timestamp_wins_in_either_order()
    {
        await WriteAsync(Row(Key(1), T0, Values(2.0), created: T0.AddMinutes(2)));
        var older = await WriteAsync(Row(Key(1), T0, Values(1.0), created: T0.AddMinutes(1)));
        await WriteAsync(Row(Key(2), T0, Values(1.0), created: T0.AddMinutes(1)));
        var newer = await WriteAsync(Row(Key(2), T0, Values(2.0), created: T0.AddMinutes(2)));

        Assert.Equal(new OnlineWriteResult(0, 1), older);
        Assert.Equal(new OnlineWriteResult(1, 0), newer);
        var records = await ReadAsync([Key(1), Key(2)], ["score"]);
        Assert.Equal(2.0, records[0]!.Values["score"]);
        Assert.Equal(2.0, records[1]!.Values["score"]);
    }

    [Fact]
    public async Task A_created_timestamp_beats_none_on_equal_event_timestamps()
    {
        await WriteAsync(Row(Key(1), T0, Values(2.0), created: T0));
        var withoutCreated = await WriteAsync(Row(Key(1), T0, Values(1.0)));
        await WriteAsync(Row(Key(2), T0, Values(1.0)));
        var withCreated = await WriteAsync(Row(Key(2), T0, Values(2.0), created: T0));

        Assert.Equal(new OnlineWriteResult(0, 1), withoutCreated);
        Assert.Equal(new OnlineWriteResult(1, 0), withCreated);
        var records = await ReadAsync([Key(1), Key(2)], ["score"]);
        Assert.Equal(2.0, records[0]!.Values["score"]);
        Assert.Equal(2.0, records[1]!.Values["score"]);
    }

    [Fact]
    public async Task On_a_full_tie_the_later_write_wins()
    {
        await WriteAsync(Row(Key(1), T0, Values(1.0), created: T0));
        var result = await WriteAsync(Row(Key(1), T0, Values(2.0), created: T0));
        await WriteAsync(Row(Key(2), T0, Values(1.0)));
        await WriteAsync(Row(Key(2), T0, Values(2.0)));

        Assert.Equal(new OnlineWriteResult(1, 0), result);
        var records = await ReadAsync([Key(1), Key(2)], ["score"]);
        Assert.Equal(2.0, records[0]!.Values["score"]);
        Assert.Equal(2.0, records[1]!.Values["score"]);
    }

    [Fact]
    public async Task Within_one_batch_the_newest_row_per_key_wins_whatever_the_order()
    {
        var result = await WriteAsync(
            Row(Key(1), T0.AddHours(1), Values(1.0)),
            Row(Key(2), T0, Values(20.0)),
            Row(Key(1), T0.AddHours(3), Values(3.0)),
            Row(Key(1), T0.AddHours(2), Values(2.0)),
            Row(Key(2), T0, Values(21.0), created: T0),
            Row(Key(2), T0, Values(22.0)));

        Assert.Equal(new OnlineWriteResult(2, 4), result);
        var records = await ReadAsync([Key(1), Key(2)], ["score"]);
        Assert.Equal(3.0, records[0]!.Values["score"]);
        Assert.Equal(T0.AddHours(3), records[0]!.EventTimestamp);
        Assert.Equal(21.0, records[1]!.Values["score"]);
    }

    [Fact]
    public async Task A_batch_mixing_new_keys_newer_rows_and_older_rows_counts_each()
    {
        await WriteAsync(Row(Key(1), T0, Values(1.0)), Row(Key(2), T0, Values(2.0)));

        var result = await WriteAsync(
            Row(Key(1), T0.AddSeconds(-1), Values(10.0)),
            Row(Key(2), T0.AddSeconds(1), Values(20.0)),
            Row(Key(3), T0, Values(30.0)));

        Assert.Equal(new OnlineWriteResult(2, 1), result);
        var records = await ReadAsync([Key(1), Key(2), Key(3)], ["score"]);
        Assert.Equal([1.0, 20.0, 30.0], records.Select(r => (double)r!.Values["score"]!));
    }

    [Fact]
    public async Task A_thousand_keys_are_written_and_read_in_one_call_each_in_order()
    {
        var rows = Enumerable.Range(0, 1000).Select(i => Row(Key(i), T0.AddSeconds(i), Values(i * 0.5))).ToArray();
        Assert.Equal(new OnlineWriteResult(1000, 0), await WriteAsync(rows));

        // Every written key in a scrambled order, with an absent key after every tenth.
        var order = Enumerable.Range(0, 1000).Select(i => (i * 7919) % 1000).ToList();
        var keys = new List<EntityKey>();
        var expected = new List<int?>();
        foreach (var i in order)
        {
            keys.Add(Key(i));
            expected.Add(i);
            if (i % 10 == 0)
            {
                keys.Add(Key(100_000 + i));
                expected.Add(null);
            }
        }

        var records = await ReadAsync(keys, ["score"]);

        Assert.Equal(keys.Count, records.Count);
        for (var p = 0; p < keys.Count; p++)
        {
            if (expected[p] is { } i)
            {
                Assert.Equal(i * 0.5, records[p]!.Values["score"]);
                Assert.Equal(T0.AddSeconds(i), records[p]!.EventTimestamp);
            }
            else
            {
                Assert.Null(records[p]);
            }
        }
    }

    [Fact]
    public async Task Projects_and_views_are_isolated()
    {
        await Store.WriteAsync("p1", "v1", [Row(Key(1), T0, Values(11.0))]);
        await Store.WriteAsync("p1", "v2", [Row(Key(1), T0, Values(12.0))]);
        await Store.WriteAsync("p2", "v1", [Row(Key(1), T0, Values(21.0))]);

        // A newer row in one view does not make the same key's row in another view older.
        await Store.WriteAsync("p1", "v2", [Row(Key(1), T0.AddDays(1), Values(13.0))]);
        var older = await Store.WriteAsync("p1", "v1", [Row(Key(1), T0.AddHours(1), Values(14.0))]);

        Assert.Equal(new OnlineWriteResult(1, 0), older);
        Assert.Equal(14.0, (await Store.ReadAsync("p1", "v1", [Key(1)], ["score"]))[0]!.Values["score"]);
        Assert.Equal(13.0, (await Store.ReadAsync("p1", "v2", [Key(1)], ["score"]))[0]!.Values["score"]);
        Assert.Equal(21.0, (await Store.ReadAsync("p2", "v1", [Key(1)], ["score"]))[0]!.Values["score"]);
        Assert.Null((await Store.ReadAsync("p2", "v2", [Key(1)], ["score"]))[0]);
    }

    [Fact]
    public async Task Names_that_look_like_separators_do_not_collide()
    {
        await Store.WriteAsync("a:b", "c", [Row(Key(1), T0, Values(1.0))]);
        await Store.WriteAsync("a", "b:c", [Row(Key(1), T0, Values(2.0))]);
        await Store.WriteAsync("a*", "[v]", [Row(Key(1), T0, Values(3.0))]);

        await Store.DeleteFeatureViewAsync("a", "*");

        Assert.Equal(1.0, (await Store.ReadAsync("a:b", "c", [Key(1)], ["score"]))[0]!.Values["score"]);
        Assert.Equal(2.0, (await Store.ReadAsync("a", "b:c", [Key(1)], ["score"]))[0]!.Values["score"]);
        Assert.Equal(3.0, (await Store.ReadAsync("a*", "[v]", [Key(1)], ["score"]))[0]!.Values["score"]);
    }

    [Fact]
    public async Task Deleting_a_view_removes_its_rows_only_and_the_view_can_be_written_again()
    {
        var rows = Enumerable.Range(0, 300).Select(i => Row(Key(i), T0.AddDays(1), Values(i))).ToArray();
        await Store.WriteAsync("p1", "v1", rows);
        await Store.WriteAsync("p1", "v2", [Row(Key(1), T0, Values(12.0))]);
        await Store.WriteAsync("p2", "v1", [Row(Key(1), T0, Values(21.0))]);

        await Store.DeleteFeatureViewAsync("p1", "v1");

        Assert.All(await Store.ReadAsync("p1", "v1", [.. Enumerable.Range(0, 300).Select(Key)], ["score"]), Assert.Null);
        Assert.Equal(12.0, (await Store.ReadAsync("p1", "v2", [Key(1)], ["score"]))[0]!.Values["score"]);
        Assert.Equal(21.0, (await Store.ReadAsync("p2", "v1", [Key(1)], ["score"]))[0]!.Values["score"]);

        // The deleted rows' timestamps are gone too: an older row than before is now stored.
        Assert.Equal(new OnlineWriteResult(1, 0), await Store.WriteAsync("p1", "v1", [Row(Key(1), T0, Values(1.5))]));
        Assert.Equal(1.5, (await Store.ReadAsync("p1", "v1", [Key(1)], ["score"]))[0]!.Values["score"]);
    }

    [Fact]
    public async Task Deleting_a_view_that_has_no_rows_is_not_an_error()
    {
        await Store.DeleteFeatureViewAsync(Project, "never_written");
    }

    [Fact]
    public async Task Concurrent_writers_with_interleaved_timestamps_leave_the_newest_row_per_key()
    {
        const int Writers = 8;
        const int Rounds = 25;
        const int Keys = 20;

        // Writer w writes round r with timestamp r * Writers + w: every writer's rows interleave with every other's,
        // so the newest row of each key comes from the last writer's last round, whatever the schedule.
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var stored = 0L;
            for (var r = 0; r < Rounds; r++)
            {
                var stamp = T0.AddSeconds((r * Writers) + w);
                var rows = Enumerable.Range(0, Keys).Select(k => Row(Key(k), stamp, Values((r * Writers) + w))).ToArray();
                stored += (await Store.WriteAsync(Project, View, rows)).Written;
            }

            return stored;
        })).ToArray();
        var stored = await Task.WhenAll(writers);

        var records = await ReadAsync([.. Enumerable.Range(0, Keys).Select(Key)], ["score"]);
        var newest = ((Rounds - 1) * Writers) + (Writers - 1);
        Assert.All(records, r =>
        {
            Assert.Equal((double)newest, r!.Values["score"]);
            Assert.Equal(T0.AddSeconds(newest), r.EventTimestamp);
        });
        Assert.InRange(stored.Sum(), Keys, Keys * Rounds * Writers);
    }

    [Fact]
    public async Task Multi_column_keys_match_whatever_the_order_and_int_equals_long()
    {
        var written = new EntityKey([new("user_id", 42), new("country", "NL"), new("active", true)]);
        await WriteAsync(Row(written, T0, Values(1.0)));

        var sameKey = new EntityKey([new("active", true), new("country", "NL"), new("user_id", 42L)]);
        var otherCountry = new EntityKey([new("active", true), new("country", "DE"), new("user_id", 42L)]);
        var fewerColumns = new EntityKey([new("country", "NL"), new("user_id", 42L)]);
        var records = await ReadAsync([sameKey, otherCountry, fewerColumns, EntityKey.Of("user_id", 42L)], ["score"]);

        Assert.Equal(1.0, records[0]!.Values["score"]);
        Assert.Null(records[1]);
        Assert.Null(records[2]);
        Assert.Null(records[3]);
    }

    [Fact]
    public async Task An_int_key_written_is_read_by_a_long_key_and_the_reverse()
    {
        await WriteAsync(Row(EntityKey.Of("user_id", 7), T0, Values(1.0)), Row(EntityKey.Of("user_id", 8L), T0, Values(2.0)));

        var records = await ReadAsync([EntityKey.Of("user_id", 7L), EntityKey.Of("user_id", 8)], ["score"]);

        Assert.Equal(1.0, records[0]!.Values["score"]);
        Assert.Equal(2.0, records[1]!.Values["score"]);
        Assert.Null((await ReadAsync([EntityKey.Of("user_id", "7")], ["score"]))[0]);
    }

    [Fact]
    public async Task A_cancelled_write_stores_nothing_and_a_cancelled_read_throws()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Store.WriteAsync(Project, View, [Row(Key(1), T0, Values(1.0))], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Store.ReadAsync(Project, View, [Key(1)], ["score"], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Store.DeleteFeatureViewAsync(Project, View, cancelled.Token));

        Assert.Null(Assert.Single(await ReadAsync([Key(1)], ["score"])));
    }

    [Fact]
    public async Task A_value_of_an_unsupported_type_is_refused_naming_the_feature_and_nothing_is_stored()
    {
        var bad = new Dictionary<string, object?> { ["score"] = 1.0, ["when"] = DateTime.UnixEpoch };

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await WriteAsync(Row(Key(1), T0, Values(1.0)), Row(Key(2), T0, bad)));

        Assert.Contains("'when'", error.Message, StringComparison.Ordinal);
        Assert.Contains(View, error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(DateTime), error.Message, StringComparison.Ordinal);
        Assert.All(await ReadAsync([Key(1), Key(2)], ["score"]), Assert.Null);
    }

    [Fact]
    public async Task Bad_arguments_are_refused_naming_what_is_wrong()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.WriteAsync("", View, [Row(Key(1), T0, Values(1.0))]));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.ReadAsync(Project, "", [Key(1)], ["score"]));
        var nullKey = await Assert.ThrowsAsync<ArgumentException>(async () => await Store.ReadAsync(Project, View, [Key(1), null!], ["score"]));
        Assert.Contains("key 1", nullKey.Message, StringComparison.Ordinal);
        var emptyFeature = await Assert.ThrowsAsync<ArgumentException>(async () => await Store.ReadAsync(Project, View, [Key(1)], ["score", ""]));
        Assert.Contains("Feature 1", emptyFeature.Message, StringComparison.Ordinal);
        var nullRow = await Assert.ThrowsAsync<ArgumentException>(async () => await Store.WriteAsync(Project, View, [Row(Key(1), T0, Values(1.0)), null!]));
        Assert.Contains("Row 1", nullRow.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_batch_writes_nothing()
    {
        Assert.Equal(new OnlineWriteResult(0, 0), await WriteAsync());
    }

    protected static EntityKey Key(int userId) => EntityKey.Of("user_id", (long)userId);

    protected static Dictionary<string, object?> Values(double score) => new() { ["score"] = score };

    protected static OnlineRow Row(EntityKey key, DateTimeOffset eventTimestamp, IReadOnlyDictionary<string, object?> values, DateTimeOffset? created = null) =>
        new(key, eventTimestamp, created, values);

    protected async Task<OnlineWriteResult> WriteAsync(params OnlineRow[] rows) => await Store.WriteAsync(Project, View, rows);

    protected async Task<IReadOnlyList<OnlineRecord?>> ReadAsync(IReadOnlyList<EntityKey> keys, IReadOnlyList<string> features) =>
        await Store.ReadAsync(Project, View, keys, features);
}
