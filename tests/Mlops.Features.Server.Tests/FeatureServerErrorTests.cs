using System.Net;
using System.Text;
using System.Text.Json;

namespace Mlops.Features.Server.Tests;

public sealed class FeatureServerErrorTests
{
    public static TheoryData<string, string, int, string, string> BadRequests => new()
    {
        { "/get-online-features", """{"features": ["user_stats:nope"], "entities": {"user_id": [1]}}""", 404, "FeatureReferenceException", "'nope'" },
        { "/get-online-features", """{"features": ["nope_view:clicks"], "entities": {"user_id": [1]}}""", 404, "FeatureViewNotFoundException", "nope_view" },
        { "/get-online-features", """{"features": ["clicks"], "entities": {"user_id": [1]}}""", 400, "FeatureServerRequestException", "'clicks' is not 'view:feature'" },
        { "/get-online-features", """{"feature_service": "nope_service", "entities": {"user_id": [1]}}""", 404, "FeatureServiceNotFoundException", "nope_service" },
        { "/get-online-features", """{"features": ["user_stats:clicks"], "entities": {"uid": [1]}}""", 400, "EntityDataException", "'user_id'" },
        { "/get-online-features", """{"features": ["user_stats:clicks"], "entities": {"user_id": ["abc"]}}""", 400, "FeatureServerRequestException", "Entity 'user_id' row 0: expected an int64" },
        { "/get-online-features", """{"features": ["user_stats:clicks"], "entities": {"user_id": [1, 2.5]}}""", 400, "FeatureServerRequestException", "Entity 'user_id' row 1" },
        { "/get-online-features", """{"features": ["user_stats:clicks"], "entities": {"user_id": [null]}}""", 400, "EntityDataException", "null join key 'user_id'" },
        { "/get-online-features", """{"features": ["user_stats:clicks"], "entities": {"user_id": 1}}""", 400, "FeatureServerRequestException", "Entity 'user_id' is a JSON number" },
        { "/get-online-features", """{"features": ["user_stats:clicks"]}""", 400, "FeatureServerRequestException", "\"entities\"" },
        { "/get-online-features", """{"entities": {"user_id": [1]}}""", 400, "FeatureServerRequestException", "no features" },
        { "/get-online-features", """{"features": ["user_stats:clicks"], "feature_service": "model", "entities": {"user_id": [1]}}""", 400, "FeatureServerRequestException", "both" },
        { "/get-online-features", """{"features": ["user_stats:clicks"], "entities": {"user_id": [1]}, "full_feature_names": "yes"}""", 400, "FeatureServerRequestException", "full_feature_names" },
        { "/get-online-features", """{"features": ["user_stats:clicks", "events:clicks"], "entities": {"user_id": [1]}}""", 400, "FeatureNameCollisionError", "clicks" },
        { "/get-online-features", """{"features": ["user_stats:clicks"], "entities": {"user_id": [1]""", 400, "FeatureServerRequestException", "not valid JSON" },
        { "/get-online-features", """{"features": ["\ud800:clicks"], "entities": {"user_id": [1]}}""", 400, "FeatureServerRequestException", "not valid Unicode" },
        { "/get-online-features", "[1, 2]", 400, "FeatureServerRequestException", "JSON array" },
        { "/get-online-features", "", 400, "FeatureServerRequestException", "empty" },
        { "/push", """{"push_source_name": "nope_push", "df": {"user_id": [1]}}""", 404, "PushSourceNotFoundException", "nope_push" },
        { "/push", """{"push_source_name": "events_push", "df": {"user_id": [1], "event_timestamp": ["2026-01-01T00:00:00Z"], "clicks": ["x"]}}""", 400, "FeatureServerRequestException", "Column 'clicks' row 0: expected an int64" },
        { "/push", """{"push_source_name": "events_push", "df": {"user_id": [1], "event_timestamp": [1700000000]}}""", 400, "FeatureServerRequestException", "Column 'event_timestamp' row 0: expected an ISO-8601" },
        { "/push", """{"push_source_name": "events_push", "df": {"user_id": [1, 2], "event_timestamp": ["2026-01-01T00:00:00Z"]}}""", 400, "FeatureServerRequestException", "Column 'event_timestamp' has 1 values but column 'user_id' has 2" },
        { "/push", """{"push_source_name": "events_push", "to": "everywhere", "df": {"user_id": [1]}}""", 400, "FeatureServerRequestException", "everywhere" },
        { "/push", """{"df": {"user_id": [1]}}""", 400, "FeatureServerRequestException", "push_source_name" },
        { "/write-to-online-store", """{"feature_view_name": "nope_view", "df": {"user_id": [1]}}""", 404, "FeatureViewNotFoundException", "nope_view" },
        { "/write-to-online-store", """{"feature_view_name": "user_stats", "df": {"user_id": [1], "clicks": [1]}}""", 400, "EntityDataException", "'event_timestamp'" },
        { "/write-to-online-store", """{"feature_view_name": "user_stats", "df": {"user_id": [1, 2], "note": [1, "a"]}}""", 400, "FeatureServerRequestException", "Column 'note' mixes" },
        { "/write-to-online-store", """{"feature_view_name": "user_stats", "df": []}""", 400, "FeatureServerRequestException", "'df'" },
        { "/materialize", """{"start_ts": "yesterday", "end_ts": "2026-01-01T00:00:00Z"}""", 400, "FeatureServerRequestException", "'start_ts'" },
        { "/materialize", """{"start_ts": "2026-01-02T00:00:00Z", "end_ts": "2026-01-01T00:00:00Z"}""", 400, "ArgumentException", "before it starts" },
        { "/materialize", """{"start_ts": "2025-01-01T00:00:00Z", "end_ts": "2026-01-01T00:00:00Z", "feature_views": ["nope_view"]}""", 404, "FeatureViewNotFoundException", "nope_view" },
        { "/materialize-incremental", """{"feature_views": ["user_stats"]}""", 400, "FeatureServerRequestException", "\"end_ts\"" },
        { "/materialize-incremental", """{"end_ts": "2026-01-01T00:00:00Z", "feature_views": "user_stats"}""", 400, "FeatureServerRequestException", "feature_views" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_a_4xx_in_Feasts_error_shape_naming_the_thing_at_fault(string path, string body, int status, string errorClass, string named)
    {
        await using var host = await FeatureServerHost.StartAsync();

        var (actual, text) = await host.PostAsync(path, body);

        Assert.Equal(status, (int)actual);
        using var error = JsonDocument.Parse(text);
        Assert.Equal(errorClass, error.RootElement.GetProperty("class").GetString());
        Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("module").GetString()));
        Assert.Contains(named, error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_415_and_one_over_the_limit_413()
    {
        await using var host = await FeatureServerHost.StartAsync(o => o.MaxRequestBodyBytes = 1024);
        const string valid = """{"features": ["user_stats:clicks"], "entities": {"user_id": [1]}}""";

        var plain = await host.PostAsync("/get-online-features", valid, "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.Status);
        Assert.Contains("text/plain", plain.Body, StringComparison.Ordinal);
        var none = await host.PostAsync("/get-online-features", Encoding.UTF8.GetBytes(valid), contentType: null);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, none.Status);

        var large = "{\"features\": [\"user_stats:clicks\"], \"entities\": {\"user_id\": [" + string.Join(", ", Enumerable.Range(0, 400)) + "]}}";
        var tooLarge = await host.PostAsync("/get-online-features", large);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.Status);
        Assert.Contains("1024 bytes", tooLarge.Body, StringComparison.Ordinal);

        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/get-online-features") { Content = new PushStreamContentOf(Encoding.UTF8.GetBytes(large)) };
        chunked.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var chunkedResponse = await host.Http.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunkedResponse.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("/get-online-features", valid, "application/json; charset=utf-8")).Status);
    }

    [Fact]
    public async Task Four_hundred_malformed_requests_get_no_5xx()
    {
        await using var host = await FeatureServerHost.StartAsync();
        string[] paths = ["/get-online-features", "/push", "/write-to-online-store", "/materialize", "/materialize-incremental"];
        string[] templates =
        [
            """{"features": ["user_stats:clicks", "user_stats:score"], "entities": {"user_id": [1, 2]}, "full_feature_names": true}""",
            """{"feature_service": "model", "entities": {"user_id": [1]}}""",
            """{"push_source_name": "events_push", "to": "online", "df": {"user_id": [1], "event_timestamp": ["2026-01-01T00:00:00Z"], "clicks": [3], "score": [0.5]}}""",
            """{"feature_view_name": "user_stats", "df": {"user_id": [1], "event_timestamp": ["2026-01-01T00:00:00Z"], "clicks": [3], "score": [0.5]}}""",
            """{"start_ts": "2025-12-31T00:00:00Z", "end_ts": "2026-01-01T00:00:00Z", "feature_views": ["user_stats"]}""",
            """{"end_ts": "2026-01-01T00:00:00Z"}""",
        ];
        string[] values = ["null", "true", "-1", "1e308", "9223372036854775808", "\"\"", "\"\\ud800\"", "[]", "{}", "[[[[1]]]]", "\"2026-13-45T99:00:00Z\"", "0.5", "\"user_stats:\"", "\":\"", new string('[', 100)];
        var random = new Random(20261208);
        var failures = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            var template = templates[random.Next(templates.Length)];
            var body = Encoding.UTF8.GetBytes(template);
            switch (random.Next(5))
            {
                case 0:
                    body = body[..random.Next(body.Length)];
                    break;
                case 1:
                    for (var k = random.Next(1, 4); k > 0; k--)
                    {
                        body[random.Next(body.Length)] = (byte)"{}[]\",:0a\\ \x7f"[random.Next(12)];
                    }

                    break;
                case 2:
                    body[random.Next(body.Length)] = (byte)random.Next(0x80, 0x100);
                    break;
                default:
                    // Replace one JSON token after a ':' or '[' or ',' with a value of another type.
                    var text = template;
                    var positions = Enumerable.Range(0, text.Length).Where(p => text[p] is ':' or '[' or ',').ToArray();
                    var at = positions[random.Next(positions.Length)] + 1;
                    var end = at;
                    while (end < text.Length && text[end] is not (',' or ']' or '}'))
                    {
                        end++;
                    }

                    body = Encoding.UTF8.GetBytes(text[..at] + values[random.Next(values.Length)] + text[end..]);
                    break;
            }

            var path = random.Next(4) == 0 ? paths[random.Next(paths.Length)] : PathFor(template);
            var (status, text2) = await host.PostAsync(path, body);
            if ((int)status >= 500)
            {
                failures.Add($"{path} {Encoding.UTF8.GetString(body)} -> {(int)status} {text2}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(5)));
    }

    private static string PathFor(string template) =>
        template.Contains("push_source_name", StringComparison.Ordinal) ? "/push"
        : template.Contains("feature_view_name", StringComparison.Ordinal) ? "/write-to-online-store"
        : template.Contains("start_ts", StringComparison.Ordinal) ? "/materialize"
        : template.Contains("end_ts", StringComparison.Ordinal) ? "/materialize-incremental"
        : "/get-online-features";

    /// <summary>Content without a length, so the client sends it chunked.</summary>
    private sealed class PushStreamContentOf(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
