using System.Net;
using Mlops.Serving.Security;
using Mlops.Serving.Tests.FrontEnds;

namespace Mlops.Serving.Tests.Rest;

public sealed class RestRepositoryAndSecurityTests
{
    [Fact]
    public async Task The_repository_index_lists_states_and_reasons_and_filters_ready_ones()
    {
        await using var host = await ServingTestHost.StartAsync();
        foreach (var body in new string?[] { null, "", "{}", """{"ready":false}""" })
        {
            var all = await Wire.SendAsync(host.Http, HttpMethod.Post, "/v2/repository/index", body);
            Assert.Equal(HttpStatusCode.OK, all.Status);
            Assert.Equal(["READY", "LOADING", "UNAVAILABLE", "UNLOADING"], all.Body.EnumerateArray().Select(m => m.GetProperty("state").GetString()));
            var broken = all.Body[2];
            Assert.Equal("broken", broken.GetProperty("name").GetString());
            Assert.Equal("3", broken.GetProperty("version").GetString());
            Assert.Equal("load failed: file missing", broken.GetProperty("reason").GetString());
            Assert.False(all.Body[1].TryGetProperty("version", out _));
        }

        var ready = await Wire.PostAsync(host.Http, "/v2/repository/index", """{"ready":true}""");
        Assert.Equal(["plus1"], ready.Body.EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        var bad = await Wire.PostAsync(host.Http, "/v2/repository/index", """{"ready":"yes"}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains("'ready' must be true or false", Wire.Error(bad.Body), StringComparison.Ordinal);
        bad = await Wire.PostAsync(host.Http, "/v2/repository/index", """{"ready":tru""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
    }

    [Fact]
    public async Task Load_and_unload_answer_200_with_an_empty_body_and_map_errors()
    {
        await using var host = await ServingTestHost.StartAsync();
        var load = await host.Http.PostAsync("/v2/repository/models/plus1/load", null);
        Assert.Equal(HttpStatusCode.OK, load.StatusCode);
        Assert.Empty(await load.Content.ReadAsByteArrayAsync());
        var unload = await Wire.PostAsync(host.Http, "/v2/repository/models/plus1/unload", """{"parameters":{"unload_dependents":true}}""");
        Assert.Equal(HttpStatusCode.OK, unload.Status);
        Assert.Equal(["plus1"], host.Service.Loaded);
        Assert.Equal(["plus1"], host.Service.Unloaded);

        var missing = await Wire.PostAsync(host.Http, "/v2/repository/models/nope/load", "");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Contains("'nope'", Wire.Error(missing.Body), StringComparison.Ordinal);
        var failing = await Wire.PostAsync(host.Http, "/v2/repository/models/failing/load", "");
        Assert.Equal(HttpStatusCode.InternalServerError, failing.Status);
        Assert.DoesNotContain("SECRET", Wire.Error(failing.Body), StringComparison.Ordinal);
        var config = await Wire.PostAsync(host.Http, "/v2/repository/models/plus1/load", """{"parameters":{"config":"{}"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, config.Status);
        Assert.Contains("'config' is not supported", Wire.Error(config.Body), StringComparison.Ordinal);
        var malformed = await Wire.PostAsync(host.Http, "/v2/repository/models/plus1/unload", "[1]");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        Wire.Error(malformed.Body);
    }

    [Theory]
    [InlineData("GET", "/v2")]
    [InlineData("GET", "/v2/models/plus1")]
    [InlineData("GET", "/v2/models/plus1/ready")]
    [InlineData("POST", "/v2/models/plus1/infer")]
    [InlineData("POST", "/v2/models/plus1/versions/1/infer")]
    [InlineData("POST", "/v2/repository/index")]
    [InlineData("POST", "/v2/repository/models/plus1/load")]
    [InlineData("GET", "/metrics")]
    [InlineData("GET", "/v2/unknown")]
    public async Task With_api_keys_every_endpoint_but_health_needs_one(string method, string path)
    {
        await using var host = await ServingTestHost.StartAsync(o => o.ApiKeys = ["key-one", "a-much-longer-second-key"]);
        var body = method == "POST" ? """{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}""" : null;
        var none = await Wire.SendAsync(host.Http, new HttpMethod(method), path, body);
        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.Contains("API key", Wire.Error(none.Body), StringComparison.Ordinal);
        Assert.Equal("Bearer", none.Response.Headers.WwwAuthenticate.Single().Scheme);
        foreach (var wrong in new[] { "Bearer key-on", "Bearer key-one2", "Basic key-one", "Bearer " })
        {
            var rejected = await Wire.SendAsync(host.Http, new HttpMethod(method), path, body, headers: new Dictionary<string, string> { ["Authorization"] = wrong });
            Assert.Equal(HttpStatusCode.Unauthorized, rejected.Status);
        }

        var bearer = await Wire.SendAsync(host.Http, new HttpMethod(method), path, body, headers: new Dictionary<string, string> { ["Authorization"] = "Bearer key-one" });
        Assert.NotEqual(HttpStatusCode.Unauthorized, bearer.Status);
        var apiKey = await Wire.SendAsync(host.Http, new HttpMethod(method), path, body, headers: new Dictionary<string, string> { ["X-API-Key"] = "a-much-longer-second-key" });
        Assert.NotEqual(HttpStatusCode.Unauthorized, apiKey.Status);
        Assert.Equal(bearer.Status, apiKey.Status);
    }

    [Fact]
    public async Task Health_stays_open_with_api_keys_and_metrics_can_be_opened()
    {
        await using var host = await ServingTestHost.StartAsync(o => o.ApiKeys = ["k"], m => m.MetricsRequireApiKey = false);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Without_keys_nothing_needs_one_and_parts_can_be_left_out()
    {
        await using var host = await ServingTestHost.StartAsync(map: m => m.MapMetrics = false);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/v2")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public void The_authenticator_matches_whole_keys_only()
    {
        var authenticator = new ApiKeyAuthenticator(Microsoft.Extensions.Options.Options.Create(new ServingOptions { ApiKeys = ["abc", ""] }));
        Assert.True(authenticator.IsAuthorized("Bearer abc", null));
        Assert.True(authenticator.IsAuthorized("bearer  abc ", null));
        Assert.True(authenticator.IsAuthorized(null, "abc"));
        Assert.True(authenticator.IsAuthorized("Bearer wrong", "abc"));
        Assert.False(authenticator.IsAuthorized("Bearer ab", null));
        Assert.False(authenticator.IsAuthorized("Bearer abcd", null));
        Assert.False(authenticator.IsAuthorized(null, ""));
        Assert.False(authenticator.IsAuthorized("abc", null));
        Assert.False(authenticator.IsAuthorized(null, null));
        Assert.True(new ApiKeyAuthenticator(Microsoft.Extensions.Options.Options.Create(new ServingOptions())).IsAuthorized(null, null));
    }
}
