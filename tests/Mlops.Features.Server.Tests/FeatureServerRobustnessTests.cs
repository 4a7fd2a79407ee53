using System.Net;
using System.Text.Json;
using Mlops.Features.FeatureStore;
using Mlops.Features.FeatureStore.Registry;

namespace Mlops.Features.Server.Tests;

public sealed class FeatureServerRobustnessTests
{
    [Fact]
    public async Task Concurrent_requests_each_get_their_own_entities_back()
    {
        await using var host = await FeatureServerHost.StartAsync();
        await host.PostAsync("/materialize", """{"start_ts": "2025-12-31T00:00:00Z", "end_ts": "2026-01-01T01:00:00Z"}""");

        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            var user = 1 + (i % 3);
            var padding = new string(' ', i * 37 % 500);
            var (status, body) = await host.PostAsync("/get-online-features", $$$"""{"features": ["user_stats:clicks"],{{{padding}}} "entities": {"user_id": [{{{user}}}]}}""");
            return (User: user, Status: status, Body: body);
        }));

        foreach (var (user, status, body) in answers)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            using var json = JsonDocument.Parse(body);
            var results = json.RootElement.GetProperty("results");
            Assert.Equal(user, results[0].GetProperty("values")[0].GetInt64());
            Assert.Equal(user * 10, results[1].GetProperty("values")[0].GetInt64());
        }
    }

    [Fact]
    public async Task A_failure_of_the_server_itself_is_a_500_without_its_exception_text()
    {
        await using var host = await FeatureServerHost.StartAsync(serve: client => new FailingClient(client.Registry));

        var (status, body) = await host.PostAsync("/get-online-features", """{"features": ["user_stats:clicks"], "entities": {"user_id": [1]}}""");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.DoesNotContain("disk on fire", body, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("InternalServerError", json.RootElement.GetProperty("class").GetString());
        Assert.Contains("/get-online-features", json.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A client whose online reads fail the way a broken store would.</summary>
    private sealed class FailingClient(FeatureRegistry registry) : FeatureStoreClient
    {
        public override FeatureRegistry Registry => registry;

        public override Task<OnlineFeaturesResponse> GetOnlineFeaturesAsync(IReadOnlyDictionary<string, IReadOnlyList<object?>> entities, IReadOnlyList<string> features, bool fullFeatureNames = false, CancellationToken cancellationToken = default) =>
            throw new IOException("disk on fire at /var/lib/secret");
    }
}
