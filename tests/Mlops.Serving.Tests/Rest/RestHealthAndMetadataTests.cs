using System.Net;
using Mlops.Serving.Tests.FrontEnds;

namespace Mlops.Serving.Tests.Rest;

public sealed class RestHealthAndMetadataTests
{
    [Fact]
    public async Task Health_answers_live_and_ready_with_200_or_503()
    {
        await using var host = await ServingTestHost.StartAsync();
        var live = await Wire.GetAsync(host.Http, "/v2/health/live");
        Assert.Equal(HttpStatusCode.OK, live.Status);
        Assert.True(live.Body.GetProperty("live").GetBoolean());
        var ready = await Wire.GetAsync(host.Http, "/v2/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.True(ready.Body.GetProperty("ready").GetBoolean());

        host.Service.Live = false;
        host.Service.Ready = false;
        live = await Wire.GetAsync(host.Http, "/v2/health/live");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, live.Status);
        Assert.False(live.Body.GetProperty("live").GetBoolean());
        ready = await Wire.GetAsync(host.Http, "/v2/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.False(ready.Body.GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task Server_metadata_has_name_version_and_extensions()
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.GetAsync(host.Http, "/v2");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("fake-server", body.GetProperty("name").GetString());
        Assert.Equal("0.0-test", body.GetProperty("version").GetString());
        Assert.Equal(["binary_tensor_data", "model_repository"], body.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("/v2/models/plus1")]
    [InlineData("/v2/models/plus1/versions/1")]
    public async Task Model_metadata_lists_versions_platform_and_tensors_with_variable_dimensions(string path)
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.GetAsync(host.Http, path);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("plus1", body.GetProperty("name").GetString());
        Assert.Equal(["1", "2"], body.GetProperty("versions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("fake_plus1", body.GetProperty("platform").GetString());
        var input = body.GetProperty("inputs")[0];
        Assert.Equal("x", input.GetProperty("name").GetString());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal([-1L, 3L], input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("x_out", body.GetProperty("outputs")[0].GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("/v2/models/nope", "model 'nope'")]
    [InlineData("/v2/models/plus1/versions/9", "version '9'")]
    [InlineData("/v2/models/nope/ready", "model 'nope'")]
    [InlineData("/v2/models/plus1/versions/9/ready", "version '9'")]
    [InlineData("/v2/nothing/here", "no such endpoint")]
    [InlineData("/v2/models/plus1/versions/1/extra/segments", "no such endpoint")]
    public async Task Unknown_models_versions_and_routes_are_404_with_an_error_body(string path, string expected)
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.GetAsync(host.Http, path);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains(expected, Wire.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Model_ready_is_200_when_ready_and_503_when_not()
    {
        await using var host = await ServingTestHost.StartAsync();
        var ready = await Wire.GetAsync(host.Http, "/v2/models/plus1/versions/2/ready");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal("plus1", ready.Body.GetProperty("name").GetString());
        Assert.True(ready.Body.GetProperty("ready").GetBoolean());
        var loading = await Wire.GetAsync(host.Http, "/v2/models/loading/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, loading.Status);
        Assert.False(loading.Body.GetProperty("ready").GetBoolean());
    }

    [Theory]
    [InlineData("GET", "/v2/models/plus1/infer", "POST")]
    [InlineData("POST", "/v2/models/plus1", "GET")]
    [InlineData("DELETE", "/v2/health/live", "GET")]
    [InlineData("GET", "/v2/repository/index", "POST")]
    public async Task A_wrong_method_is_405_with_allow_and_an_error_body(string method, string path, string allowed)
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, response) = await Wire.SendAsync(host.Http, new HttpMethod(method), path);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Contains(allowed, Wire.Error(body), StringComparison.Ordinal);
        Assert.Equal([allowed], response.Content.Headers.Allow);
    }
}
