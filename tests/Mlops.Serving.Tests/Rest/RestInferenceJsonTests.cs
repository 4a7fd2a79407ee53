using System.Net;
using System.Text.Json;
using Mlops.Serving.Tests.FrontEnds;

namespace Mlops.Serving.Tests.Rest;

public sealed class RestInferenceJsonTests
{
    [Theory]
    [InlineData("BOOL", "[true,false,true,false]", "[false,true,false,true]")]
    [InlineData("UINT8", "[0,1,254,255]", "[1,2,255,0]")]
    [InlineData("UINT16", "[0,1,2,65535]", "[1,2,3,0]")]
    [InlineData("UINT32", "[0,1,2,4294967295]", "[1,2,3,0]")]
    [InlineData("UINT64", "[0,1,2,18446744073709551615]", "[1,2,3,0]")]
    [InlineData("INT8", "[-128,-1,0,127]", "[-127,0,1,-128]")]
    [InlineData("INT16", "[-32768,-1,0,32767]", "[-32767,0,1,-32768]")]
    [InlineData("INT32", "[-2147483648,-1,0,2147483647]", "[-2147483647,0,1,-2147483648]")]
    [InlineData("INT64", "[-9223372036854775808,-1,0,9223372036854775807]", "[-9223372036854775807,0,1,-9223372036854775808]")]
    [InlineData("FP16", "[0.5,-1,2.25,1000]", "[1.5,0,3.25,1001]")]
    [InlineData("FP32", "[0.5,-1,2.25,1e10]", "[1.5,0,3.25,1e10]")]
    [InlineData("FP64", "[0.5,-1,2.25,1e300]", "[1.5,0,3.25,1e300]")]
    [InlineData("BYTES", "[\"a\",\"\",\"h\u00e9llo \ud83d\ude00\",\"q\\\"\\u00e9\\n\"]", "[\"a\",\"\",\"h\u00e9llo \ud83d\ude00\",\"q\\\"\u00e9\\n\"]")]
    public async Task Every_datatype_goes_through_json_flat_and_nested(string datatype, string flat, string expected)
    {
        await using var host = await ServingTestHost.StartAsync();
        var elements = JsonDocument.Parse(flat).RootElement.EnumerateArray().Select(e => e.GetRawText()).ToArray();
        var nested = $"[[{elements[0]},{elements[1]}],[{elements[2]},{elements[3]}]]";
        foreach (var data in new[] { flat, nested })
        {
            var (status, body, response) = await Wire.PostAsync(host.Http, "/v2/models/plus1/infer",
                $$"""{"inputs":[{"name":"x","shape":[2,2],"datatype":"{{datatype}}","data":{{data}}}]}""");
            Assert.True(status == HttpStatusCode.OK, body.ToString());
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
            var output = body.GetProperty("outputs")[0];
            Assert.Equal("x_out", output.GetProperty("name").GetString());
            Assert.Equal(datatype, output.GetProperty("datatype").GetString());
            Assert.Equal([2L, 2L], output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
            AssertElements(expected, output.GetProperty("data"));
        }
    }

    [Fact]
    public async Task Id_parameters_version_and_requested_outputs_are_honoured()
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.PostAsync(host.Http, "/v2/models/plus1/versions/1/infer", """
            {"outputs":[{"name":"b_out"}],"id":"req-42","parameters":{"s":"text","n":3,"f":0.5,"t":true,"big":18446744073709551615},
             "model_name":"ignored","inputs":[{"datatype":"INT32","data":[1,2],"shape":[2],"name":"a"},{"name":"b","shape":[1],"datatype":"FP64","data":[2.5]}]}
            """);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("plus1", body.GetProperty("model_name").GetString());
        Assert.Equal("1", body.GetProperty("model_version").GetString());
        Assert.Equal("req-42", body.GetProperty("id").GetString());
        var parameters = body.GetProperty("parameters");
        Assert.Equal("text", parameters.GetProperty("s").GetString());
        Assert.Equal(3, parameters.GetProperty("n").GetInt64());
        Assert.Equal(0.5, parameters.GetProperty("f").GetDouble());
        Assert.True(parameters.GetProperty("t").GetBoolean());
        Assert.Equal(ulong.MaxValue, parameters.GetProperty("big").GetUInt64());
        var outputs = body.GetProperty("outputs");
        Assert.Equal(1, outputs.GetArrayLength());
        Assert.Equal("b_out", outputs[0].GetProperty("name").GetString());
        Assert.Equal(3.5, outputs[0].GetProperty("data")[0].GetDouble());
    }

    [Fact]
    public async Task Without_an_id_the_response_has_none_and_without_a_version_the_default_answers()
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.PostAsync(host.Http, "/v2/models/plus1/infer", """{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.TryGetProperty("id", out _));
        Assert.Equal("2", body.GetProperty("model_version").GetString());
    }

    [Theory]
    [InlineData("[]", "[5]", "[6]")]
    [InlineData("[]", "5", "[6]")]
    [InlineData("[1]", "5", "[6]")]
    [InlineData("[0]", "[]", "[]")]
    [InlineData("[2,0]", "[]", "[]")]
    [InlineData("[2,0]", "[[],[]]", "[]")]
    [InlineData("[2,1,2]", "[[[1,2]],[[3,4]]]", "[2,3,4,5]")]
    [InlineData("[2,1,2]", "[1,2,3,4]", "[2,3,4,5]")]
    public async Task Shape_forms_scalar_empty_and_rank_three(string shape, string data, string expected)
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.PostAsync(host.Http, "/v2/models/plus1/infer",
            $$"""{"inputs":[{"name":"x","shape":{{shape}},"datatype":"INT64","data":{{data}}}]}""");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        var output = body.GetProperty("outputs")[0];
        Assert.Equal(JsonDocument.Parse(shape).RootElement.EnumerateArray().Select(e => e.GetInt64()), output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        AssertElements(expected, output.GetProperty("data"));
    }

    [Fact]
    public async Task Non_finite_floats_travel_as_strings_both_ways()
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.PostAsync(host.Http, "/v2/models/plus1/infer",
            """{"inputs":[{"name":"x","shape":[3],"datatype":"FP64","data":["NaN","Infinity","-Infinity"]}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["NaN", "Infinity", "-Infinity"], body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetString()));
        (status, body, _) = await Wire.PostAsync(host.Http, "/v2/models/nan/infer", """{"inputs":[]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var data = body.GetProperty("outputs")[0].GetProperty("data");
        Assert.Equal("NaN", data[0].GetString());
        Assert.Equal("Infinity", data[1].GetString());
        Assert.Equal("-Infinity", data[2].GetString());
        Assert.Equal(1.5, data[3].GetDouble());
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"INT8","data":[128]}]}""", "input 'x': element 0 is 128; INT8 expects an integer in [-128, 127]")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"UINT8","data":[-1]}]}""", "element 0 is -1; UINT8 expects")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"INT64","data":[9223372036854775808]}]}""", "INT64 expects")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[1.5]}]}""", "element 0 is 1.5; INT32")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1e39]}]}""", "FP32 expects")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP16","data":[70000]}]}""", "FP16 expects")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,"a"]}]}""", "element 1 is the string \"a\"")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"BOOL","data":[1]}]}""", "BOOL expects true or false")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","data":[1]}]}""", "BYTES expects a string")]
    [InlineData("""{"inputs":[{"name":"x","shape":[3],"datatype":"FP32","data":[1,2]}]}""", "shape [3] needs 3 elements but 'data' has 2")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1,2]}]}""", "more than the 1 elements")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2,3],[4]]}]}""", "3 entries at nesting level 2")]
    [InlineData("""{"inputs":[{"name":"x","shape":[4],"datatype":"FP32","data":[[1,2,3,4]]}]}""", "nested neither flat nor as shape [4]")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,[2],3,4]}]}""", "nested neither flat")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":{"a":1}}]}""", "'data' must be an array")]
    [InlineData("""{"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[1]}]}""", "dimension 0 of 'shape' is -1")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FLOAT","data":[1]}]}""", "input 'x' has datatype 'FLOAT'; expected one of BOOL")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"fp32","data":[1]}]}""", "datatype 'fp32'")]
    [InlineData("""{"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]}""", "input 0 has no 'name'")]
    [InlineData("""{"inputs":[{"name":"x","datatype":"FP32","data":[1]}]}""", "input 'x' has no 'shape'")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"data":[1]}]}""", "input 'x' has no 'datatype'")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]}""", "input 'x' has no 'data'")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]},{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}""", "input 'x' appears more than once")]
    [InlineData("""{"id":"a"}""", "the request has no 'inputs'")]
    [InlineData("""{"inputs":{}}""", "'inputs' must be an array")]
    [InlineData("""{"inputs":[],"id":5}""", "'id' must be a string")]
    [InlineData("""{"inputs":[],"parameters":{"p":{"nested":1}}}""", "parameter 'p' is an object")]
    [InlineData("""{"inputs":[],"outputs":[{"parameters":{}}]}""", "requested output 0 has no 'name'")]
    [InlineData("""{"inputs":[],"outputs":[{"name":"a"},{"name":"a"}]}""", "output 'a' is requested more than once")]
    [InlineData("""{"inputs":[],"inputs":[]}""", "'inputs' more than once")]
    [InlineData("""[1,2]""", "must be a JSON object")]
    [InlineData("""{"inputs":[]} {}""", "not valid JSON")]
    [InlineData("""{"inputs":[""", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1000000000],"datatype":"FP32","data":[1]}]}""", "needs 1000000000 elements, more than the")]
    [InlineData("""{"inputs":[{"name":"x","shape":[4294967296,4294967296],"datatype":"FP32","data":[1]}]}""", "holds more elements than a tensor can")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"nope"}]}""", "model 'plus1' has no output 'nope'")]
    public async Task Bad_requests_are_400_naming_what_is_wrong(string json, string expected)
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.PostAsync(host.Http, "/v2/models/plus1/infer", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, Wire.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_string_is_400()
    {
        await using var host = await ServingTestHost.StartAsync();
        var json = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"\"]}]}"u8.ToArray().ToList();
        json.InsertRange(json.LastIndexOf((byte)'"'), new byte[] { 0xC3, 0x28 });
        using var content = new ByteArrayContent([.. json]);
        content.Headers.ContentType = new("application/json");
        var response = await host.Http.PostAsync("/v2/models/plus1/infer", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Wire.Error(JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync()).RootElement);
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_cannot_go_as_json_but_go_in_binary()
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.PostAsync(host.Http, "/v2/models/badutf8/infer", """{"inputs":[]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("binary_data", Wire.Error(body), StringComparison.Ordinal);
        using var content = new StringContent("""{"inputs":[],"parameters":{"binary_data_output":true}}""");
        var response = await host.Http.PostAsync("/v2/models/badutf8/infer", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0xff, 0xfe }, bytes[^6..]);
    }

    [Theory]
    [InlineData("busy", HttpStatusCode.ServiceUnavailable, "full queue")]
    [InlineData("loading", HttpStatusCode.ServiceUnavailable, "is loading")]
    [InlineData("nope", HttpStatusCode.NotFound, "model 'nope' is not served here")]
    [InlineData("broken", HttpStatusCode.InternalServerError, "model 'broken' failed in inference; the server log has the details.")]
    [InlineData("failing", HttpStatusCode.InternalServerError, "model 'failing' failed in inference; the server log has the details.")]
    public async Task Service_failures_map_to_their_status_and_never_leak_exception_text(string model, HttpStatusCode expected, string message)
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, response) = await Wire.PostAsync(host.Http, $"/v2/models/{model}/infer", """{"inputs":[]}""");
        Assert.Equal(expected, status);
        var error = Wire.Error(body);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", error, StringComparison.Ordinal);
        if (expected == HttpStatusCode.ServiceUnavailable)
        {
            Assert.Equal(model == "busy" ? TimeSpan.FromSeconds(7) : TimeSpan.FromSeconds(1), response.Headers.RetryAfter!.Delta);
        }
    }

    [Fact]
    public async Task The_request_timeout_cancels_the_inference_and_answers_504()
    {
        await using var host = await ServingTestHost.StartAsync(o => o.RequestTimeout = TimeSpan.FromMilliseconds(50));
        var (status, body, _) = await Wire.PostAsync(host.Http, "/v2/models/slow/infer", """{"inputs":[]}""");
        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Contains("request timeout", Wire.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sticky_route_goes_out_and_comes_back_in_the_route_header()
    {
        await using var host = await ServingTestHost.StartAsync();
        var first = await Wire.PostAsync(host.Http, "/v2/models/route/infer", """{"inputs":[]}""");
        Assert.Equal(["candidate-b"], first.Response.Headers.GetValues("x-mlops-route"));
        var second = await Wire.PostAsync(host.Http, "/v2/models/route/infer", """{"inputs":[]}""", new Dictionary<string, string> { ["x-mlops-route"] = "candidate-a" });
        Assert.Equal(["candidate-a"], second.Response.Headers.GetValues("x-mlops-route"));
    }

    [Theory]
    [InlineData("text/xml", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("multipart/form-data; boundary=x", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=utf-8", HttpStatusCode.OK)]
    [InlineData("application/x-www-form-urlencoded", HttpStatusCode.OK)]
    [InlineData("application/octet-stream", HttpStatusCode.OK)]
    public async Task Content_types_other_than_json_or_binary_are_415(string contentType, HttpStatusCode expected)
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.SendAsync(host.Http, HttpMethod.Post, "/v2/models/plus1/infer", """{"inputs":[]}""", contentType);
        Assert.Equal(expected, status);
        if (expected != HttpStatusCode.OK)
        {
            Assert.Contains(contentType.Split(';')[0], Wire.Error(body), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_declared_or_chunked()
    {
        await using var host = await ServingTestHost.StartAsync(o => o.MaxRequestBodyBytes = 1024);
        var big = """{"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","data":[" """ + new string('a', 2000) + "\"]}]}";
        var (status, body, _) = await Wire.PostAsync(host.Http, "/v2/models/plus1/infer", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("limit of 1024 bytes", Wire.Error(body), StringComparison.Ordinal);

        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/v2/models/plus1/infer") { Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(big))) };
        chunked.Headers.TransferEncodingChunked = true;
        var response = await host.Http.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Wire.Error(JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync()).RootElement);

        var small = await Wire.PostAsync(host.Http, "/v2/models/plus1/infer", """{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}""");
        Assert.Equal(HttpStatusCode.OK, small.Status);
    }

    internal static void AssertElements(string expected, JsonElement actual)
    {
        var want = JsonDocument.Parse(expected).RootElement.EnumerateArray().ToList();
        var got = actual.EnumerateArray().ToList();
        Assert.Equal(want.Count, got.Count);
        for (var i = 0; i < want.Count; i++)
        {
            if (want[i].ValueKind == JsonValueKind.String)
            {
                Assert.Equal(want[i].GetString(), got[i].GetString());
            }
            else if (want[i].ValueKind == JsonValueKind.Number && want[i].GetRawText().IndexOfAny(['.', 'e', 'E']) >= 0)
            {
                Assert.Equal(want[i].GetDouble(), got[i].GetDouble(), 1e-6 * Math.Max(1, Math.Abs(want[i].GetDouble())));
            }
            else
            {
                Assert.Equal(want[i].GetRawText(), got[i].GetRawText());
            }
        }
    }
}
