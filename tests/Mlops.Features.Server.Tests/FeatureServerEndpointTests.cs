using System.Net;
using Apache.Arrow;
using Apache.Arrow.Types;
using static Mlops.Features.Server.Tests.FeatureServerHost;

namespace Mlops.Features.Server.Tests;

public sealed class FeatureServerEndpointTests
{
    private const string Zero = "1970-01-01T00:00:00Z";

    [Fact]
    public async Task Materialize_then_get_online_features_answers_Feasts_column_oriented_JSON_with_every_status()
    {
        await using var host = await StartAsync();
        var materialized = await host.PostAsync("/materialize", """{"start_ts": "2025-12-31T00:00:00Z", "end_ts": "2026-01-01T01:00:00"}""");
        Assert.Equal((HttpStatusCode.OK, "null"), materialized);

        var (status, body) = await host.PostAsync("/get-online-features", """{"features": ["user_stats:clicks", "user_stats:score"], "entities": {"user_id": [1, 2, 3, 4]}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var expected =
            """{"metadata":{"feature_names":["user_id","clicks","score"]},"results":[""" +
            $$"""{"values":[1,2,3,4],"statuses":["PRESENT","PRESENT","PRESENT","PRESENT"],"event_timestamps":["{{Zero}}","{{Zero}}","{{Zero}}","{{Zero}}"]},""" +
            $$"""{"values":[10,20,30,null],"statuses":["PRESENT","PRESENT","OUTSIDE_MAX_AGE","NOT_FOUND"],"event_timestamps":["2025-12-31T23:00:00Z","2025-12-31T23:30:00Z","2025-12-31T19:00:00Z","{{Zero}}"]},""" +
            $$"""{"values":[1.5,null,3.25,null],"statuses":["PRESENT","NULL_VALUE","OUTSIDE_MAX_AGE","NOT_FOUND"],"event_timestamps":["2025-12-31T23:00:00Z","2025-12-31T23:30:00Z","2025-12-31T19:00:00Z","{{Zero}}"]}""" +
            "]}";
        Assert.Equal(expected, body);
    }

    [Fact]
    public async Task A_value_becomes_OUTSIDE_MAX_AGE_when_the_clock_passes_the_views_ttl()
    {
        await using var host = await StartAsync();
        await host.PostAsync("/materialize", """{"start_ts": "2025-12-31T00:00:00Z", "end_ts": "2026-01-01T01:00:00Z", "feature_views": ["user_stats"]}""");
        const string request = """{"features": ["user_stats:clicks"], "entities": {"user_id": [1]}}""";
        Assert.Contains("\"statuses\":[\"PRESENT\"]", (await host.PostAsync("/get-online-features", request)).Body, StringComparison.Ordinal);

        host.Time.Advance(TimeSpan.FromHours(1.5));

        var (_, body) = await host.PostAsync("/get-online-features", request);
        Assert.Contains("""{"values":[10],"statuses":["OUTSIDE_MAX_AGE"],"event_timestamps":["2025-12-31T23:00:00Z"]}""", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_feature_service_with_full_feature_names_names_columns_view__feature()
    {
        await using var host = await StartAsync();
        await host.PostAsync("/materialize", """{"start_ts": "2025-12-31T00:00:00Z", "end_ts": "2026-01-01T01:00:00Z"}""");

        var (status, body) = await host.PostAsync("/get-online-features", """{"feature_service": "model", "entities": {"user_id": [1]}, "full_feature_names": true}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(
            $$"""{"metadata":{"feature_names":["user_id","user_stats__score"]},"results":[{"values":[1],"statuses":["PRESENT"],"event_timestamps":["{{Zero}}"]},{"values":[1.5],"statuses":["PRESENT"],"event_timestamps":["2025-12-31T23:00:00Z"]}]}""",
            body);
        var plain = await host.PostAsync("/get-online-features", """{"features": ["user_stats:clicks"], "entities": {"user_id": [1]}, "full_feature_names": false}""");
        Assert.Contains("\"feature_names\":[\"user_id\",\"clicks\"]", plain.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_online_and_offline_is_read_back_online_and_by_the_point_in_time_join()
    {
        await using var host = await StartAsync();
        var pushed = await host.PostAsync("/push", """
            {"push_source_name": "events_push", "to": "online_and_offline",
             "df": {"user_id": [1, 2], "event_timestamp": ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.250+00:00"],
                    "created": ["2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"], "clicks": [12, 22], "score": [1, 2.5]},
             "allow_registry_cache": true}
            """);
        Assert.Equal((HttpStatusCode.OK, "null"), pushed);

        var (_, body) = await host.PostAsync("/get-online-features", """{"features": ["events:clicks", "events:score"], "entities": {"user_id": [1, 2]}}""");
        Assert.Contains("""{"values":[12,22],"statuses":["PRESENT","PRESENT"],"event_timestamps":["2026-01-01T00:00:00Z","2026-01-01T00:00:00.250Z"]}""", body, StringComparison.Ordinal);
        Assert.Contains("""{"values":[1,2.5],""", body, StringComparison.Ordinal);

        var entitySchema = new Schema([new Field("user_id", Int64Type.Default, true), new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), false)], null);
        var entities = Frame.FromRows(entitySchema, [[1L, H(-2)], [1L, H(1)], [2L, H(1)]]);
        var offline = host.Client.GetHistoricalFeatures(entities, ["events:clicks"]).Collect();
        Assert.Equal([1L, 12L, 22L], offline.Select(r => r["clicks"]));

        var onlineOnly = await host.PostAsync("/push", """{"push_source_name": "events_push", "df": {"user_id": [3], "event_timestamp": ["2026-01-01T00:00:00Z"], "clicks": [33]}}""");
        Assert.Equal(HttpStatusCode.OK, onlineOnly.Status);
        Assert.Contains("\"values\":[33]", (await host.PostAsync("/get-online-features", """{"features": ["events:clicks"], "entities": {"user_id": [3]}}""")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_to_online_store_writes_newer_rows_and_keeps_a_newer_one_over_an_older()
    {
        await using var host = await StartAsync();
        var written = await host.PostAsync("/write-to-online-store", """{"feature_view_name": "user_stats", "df": {"user_id": [7, 8], "event_timestamp": ["2026-01-01T00:00:00Z", "2025-12-31T23:59:59.123456Z"], "clicks": [70, 80], "score": [7.5, null]}}""");
        Assert.Equal((HttpStatusCode.OK, "null"), written);
        var older = await host.PostAsync("/write-to-online-store", """{"feature_view_name": "user_stats", "df": {"user_id": [7], "event_timestamp": ["2025-12-31T23:00:00Z"], "clicks": [1], "score": [1.0]}}""");
        Assert.Equal(HttpStatusCode.OK, older.Status);

        var (_, body) = await host.PostAsync("/get-online-features", """{"features": ["user_stats:clicks", "user_stats:score"], "entities": {"user_id": [7, 8]}}""");

        Assert.Contains("""{"values":[70,80],"statuses":["PRESENT","PRESENT"],"event_timestamps":["2026-01-01T00:00:00Z","2025-12-31T23:59:59.123456Z"]}""", body, StringComparison.Ordinal);
        Assert.Contains("""{"values":[7.5,null],"statuses":["PRESENT","NULL_VALUE"]""", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Materialize_incremental_starts_at_now_minus_ttl_and_resumes_where_it_ended()
    {
        await using var host = await StartAsync();
        var first = await host.PostAsync("/materialize-incremental", """{"end_ts": "2026-01-01T00:00:00Z", "feature_views": ["user_stats"]}""");
        Assert.Equal((HttpStatusCode.OK, "null"), first);
        const string request = """{"features": ["user_stats:clicks"], "entities": {"user_id": [1, 2, 3]}}""";
        // Now - ttl = 22:00: users 1 (23:00) and 2 (23:30) are loaded, user 3 (19:00) is not.
        Assert.Contains("""{"values":[10,20,null],"statuses":["PRESENT","PRESENT","NOT_FOUND"]""", (await host.PostAsync("/get-online-features", request)).Body, StringComparison.Ordinal);

        await host.Client.WriteToOnlineStoreAsync("user_stats", Frame.FromRows(RowSchema, [[1L, H(0.5), H(0.5), 11L, 1.0]]));
        var again = await host.PostAsync("/materialize-incremental", """{"end_ts": "2026-01-01T01:00:00Z"}""");
        Assert.Equal(HttpStatusCode.OK, again.Status);
        // The second run covers [00:00, 01:00) only: nothing in the source, and the row written online stays.
        Assert.Contains("\"values\":[11,20,null]", (await host.PostAsync("/get-online-features", request)).Body, StringComparison.Ordinal);
        var intervals = host.Client.Registry.GetSnapshot(allowCache: false).Materializations["user_stats"];
        Assert.Equal([new DateTimeOffset(H(-2)), new DateTimeOffset(H(0))], intervals.Select(i => i.Start).Order());
    }

    [Fact]
    public async Task Health_is_200()
    {
        await using var host = await StartAsync();
        using var response = await host.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
