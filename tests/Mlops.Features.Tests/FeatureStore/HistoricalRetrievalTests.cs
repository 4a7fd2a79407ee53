using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features.FeatureStore;
using Mlops.Features.FeatureStore.Definitions;
using static Mlops.Features.Tests.FeatureStore.FeatureStoreFixture;

namespace Mlops.Features.Tests.FeatureStore;

public sealed class HistoricalRetrievalTests : IDisposable
{
    private readonly FeatureStoreFixture _fs = new();

    public void Dispose() => _fs.Dispose();

    private async Task<FeatureView> ApplyUserStats(TimeSpan ttl, params object?[][] rows)
    {
        var view = _fs.UserStats(_fs.WriteSource("user_stats", UserStatsSchema, rows), ttl);
        await _fs.Client.ApplyAsync([User, view]);
        return view;
    }

    [Fact]
    public async Task Latest_row_at_or_before_the_entity_time_within_the_ttl_every_entity_row_kept_in_order()
    {
        await ApplyUserStats(
            TimeSpan.FromHours(2),
            [1L, H(0), H(0), 10L, 1.0],
            [1L, H(3), H(3), 13L, 3.0],
            [2L, H(1), H(1), 21L, 2.0]);
        var rows = _fs.Client.GetHistoricalFeatures(
            Entities((1, H(3)), (1, H(1)), (1, H(2.5)), (2, H(3)), (2, H(0.5)), (3, H(3)), (1, H(6))),
            ["user_stats:clicks", "user_stats:score"]).Collect();

        Assert.Equal([13L, 10L, null, 21L, null, null, null], rows.Select(r => r["clicks"]));
        Assert.Equal(3.0, rows[0]["score"]);
        Assert.Equal([1L, 1L, 1L, 2L, 2L, 3L, 1L], rows.Select(r => r["user_id"]));
    }

    [Fact]
    public async Task Ttl_zero_looks_back_forever_and_ttl_bounds_are_inclusive()
    {
        await ApplyUserStats(TimeSpan.Zero, [1L, H(0), H(0), 10L, 1.0]);
        Assert.Equal(10L, _fs.Client.GetHistoricalFeatures(Entities((1, H(10_000))), ["user_stats:clicks"]).Collect()[0]["clicks"]);

        using var other = new FeatureStoreFixture();
        var view = other.UserStats(other.WriteSource("s", UserStatsSchema, [[1L, H(0), H(0), 10L, 1.0]]), TimeSpan.FromHours(2));
        await other.Client.ApplyAsync([User, view]);
        var rows = other.Client.GetHistoricalFeatures(Entities((1, H(2)), (1, H(2.0001)), (1, H(0))), ["user_stats:clicks"]).Collect();
        Assert.Equal([10L, null, 10L], rows.Select(r => r["clicks"]));
    }

    [Fact]
    public async Task Equal_event_times_go_to_the_latest_created_timestamp()
    {
        await ApplyUserStats(
            TimeSpan.Zero,
            [1L, H(1), H(5), 15L, 0.0],
            [1L, H(1), H(9), 19L, 0.0],
            [1L, H(1), H(2), 12L, 0.0]);
        Assert.Equal(19L, _fs.Client.GetHistoricalFeatures(Entities((1, H(1))), ["user_stats:clicks"]).Collect()[0]["clicks"]);
    }

    [Fact]
    public async Task An_entity_row_older_than_every_feature_row_gets_nulls()
    {
        await ApplyUserStats(TimeSpan.Zero, [1L, H(5), H(5), 10L, 1.0]);
        var row = _fs.Client.GetHistoricalFeatures(Entities((1, H(4))), ["user_stats:clicks", "user_stats:score"]).Collect()[0];
        Assert.Null(row["clicks"]);
        Assert.Null(row["score"]);
    }

    [Fact]
    public async Task Several_views_multi_column_keys_and_full_feature_names()
    {
        await ApplyUserStats(TimeSpan.Zero, [1L, H(0), H(0), 10L, 1.0]);
        var pairSchema = new Schema(
            [
                new Field("user_id", Int64Type.Default, true), new Field("item", StringType.Default, true),
                new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), true), new Field("clicks", Int64Type.Default, true),
            ],
            null);
        var pairPath = _fs.WriteSource("pairs", pairSchema, [[1L, "a", H(0), 100L], [1L, "b", H(0), 200L], [2L, "a", H(0), 300L]]);
        var item = new Entity("item", ["item"], FeatureValueType.String);
        var pairs = new FeatureView("pairs", new FileSource("pairs_source", pairPath), ["user", "item"], [new FeatureField("clicks", FeatureValueType.Int64)]);
        await _fs.Client.ApplyAsync([item, pairs]);

        var entities = Frame.FromRows(
            new Schema([new Field("user_id", Int64Type.Default, true), new Field("item", StringType.Default, true), new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), false)], null),
            [[1L, "b", H(1)], [2L, "a", H(1)], [2L, "b", H(1)]]);
        var clash = Assert.Throws<FeatureNameCollisionException>(() => _fs.Client.GetHistoricalFeatures(entities, ["user_stats:clicks", "pairs:clicks"]));
        Assert.Contains("fullFeatureNames", clash.Message, StringComparison.Ordinal);

        var rows = _fs.Client.GetHistoricalFeatures(entities, ["user_stats:clicks", "pairs:clicks"], fullFeatureNames: true).Collect();
        Assert.Equal(["user_id", "item", "event_timestamp", "user_stats__clicks", "pairs__clicks"], _fs.Client.GetHistoricalFeatures(entities, ["user_stats:clicks", "pairs:clicks"], fullFeatureNames: true).Columns);
        Assert.Equal([10L, null, null], rows.Select(r => r["user_stats__clicks"]));
        Assert.Equal([200L, 300L, null], rows.Select(r => r["pairs__clicks"]));
    }

    [Fact]
    public async Task Bad_input_names_the_view_feature_or_column()
    {
        await ApplyUserStats(TimeSpan.Zero, [1L, H(0), H(0), 10L, 1.0]);
        var entities = Entities((1, H(1)));
        Assert.Contains("'nope'", Assert.Throws<FeatureReferenceException>(() => _fs.Client.GetHistoricalFeatures(entities, ["nope:clicks"])).Message, StringComparison.Ordinal);
        Assert.Contains("no feature 'views'", Assert.Throws<FeatureReferenceException>(() => _fs.Client.GetHistoricalFeatures(entities, ["user_stats:views"])).Message, StringComparison.Ordinal);
        Assert.Contains("'user_id'", Assert.Throws<EntityDataException>(() => _fs.Client.GetHistoricalFeatures(entities.WithColumnRenamed("user_id", "uid"), ["user_stats:clicks"])).Message, StringComparison.Ordinal);
        Assert.Contains("event_timestamp", Assert.Throws<EntityDataException>(() => _fs.Client.GetHistoricalFeatures(entities.Select("user_id"), ["user_stats:clicks"])).Message, StringComparison.Ordinal);
        var stringKeys = Frame.FromRows(new Schema([new Field("user_id", StringType.Default, true), new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), false)], null), [["1", H(1)]]);
        var wrongType = Assert.Throws<EntityDataException>(() => _fs.Client.GetHistoricalFeatures(stringKeys, ["user_stats:clicks"]));
        Assert.Contains("user_stats", wrongType.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Time_range_retrieval_gives_the_latest_row_per_entity_in_the_range()
    {
        await ApplyUserStats(
            TimeSpan.Zero,
            [1L, H(0), H(0), 10L, 1.0],
            [1L, H(2), H(2), 12L, 1.0],
            [2L, H(5), H(5), 25L, 1.0],
            [3L, H(0.5), H(0.5), 30L, 1.0]);
        var rows = _fs.Client.GetHistoricalFeatures(["user_stats:clicks"], new DateTimeOffset(H(1)), new DateTimeOffset(H(4))).Collect();
        Assert.Equal([(1L, 12L)], rows.Select(r => ((long)r["user_id"]!, (long)r["clicks"]!)));
    }

    [Fact]
    public async Task On_demand_view_gives_the_same_values_offline_and_online()
    {
        await ApplyUserStats(TimeSpan.Zero, [1L, H(0), H(0), 10L, 1.5], [2L, H(0), H(0), 20L, 2.5]);
        var ratio = new OnDemandFeatureView(
            "ratio",
            ["user_stats:clicks", "user_stats:score"],
            [new FeatureField("clicks_per_score", FeatureValueType.Float64)],
            inputs =>
            {
                var clicks = (Int64Array)inputs.Column(inputs.Schema.GetFieldIndex("clicks"));
                var score = (DoubleArray)inputs.Column(inputs.Schema.GetFieldIndex("score"));
                var boost = (DoubleArray)inputs.Column(inputs.Schema.GetFieldIndex("boost"));
                var builder = new DoubleArray.Builder();
                for (var i = 0; i < inputs.Length; i++)
                {
                    if (clicks.IsNull(i))
                    {
                        builder.AppendNull();
                    }
                    else
                    {
                        builder.Append((clicks.GetValue(i)!.Value / score.GetValue(i)!.Value) + boost.GetValue(i)!.Value);
                    }
                }

                return new RecordBatch(new Schema([new Field("clicks_per_score", DoubleType.Default, true)], null), [builder.Build()], inputs.Length);
            })
        {
            RequestSchema = [new FeatureField("boost", FeatureValueType.Float64)],
        };
        await _fs.Client.ApplyAsync([ratio]);
        var entities = Frame.FromRows(
            new Schema([new Field("user_id", Int64Type.Default, true), new Field("boost", DoubleType.Default, true), new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), false)], null),
            [[1L, 1.0, H(1)], [2L, 0.0, H(1)], [3L, 0.0, H(1)]]);
        var offline = _fs.Client.GetHistoricalFeatures(entities, ["ratio:clicks_per_score"]).Collect().Select(r => r["clicks_per_score"]).ToList();
        Assert.Equal([(10 / 1.5) + 1, 20 / 2.5, null], offline);

        await _fs.Client.MaterializeAsync(new DateTimeOffset(H(-1)), new DateTimeOffset(H(1)));
        var online = await _fs.Client.GetOnlineFeaturesAsync(
            new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [1L, 2L, 3L], ["boost"] = [1.0, 0.0, 0.0] },
            ["ratio:clicks_per_score"]);
        Assert.Equal(offline, online["clicks_per_score"].Values);
    }
}
