using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;
using Mlops.Serving.Inference;
using Mlops.Serving.Protocol;
using Mlops.Serving.Tests.FrontEnds;

namespace Mlops.Serving.Tests.Rest;

public sealed class RestBinaryTensorTests
{
    public static TheoryData<string> Datatypes => new(Enum.GetValues<TensorDataType>().Select(t => t.ToProtocolName()));

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task Every_datatype_goes_in_binary_and_comes_back_in_binary(string datatype)
    {
        await using var host = await ServingTestHost.StartAsync();
        TensorDataTypes.TryParse(datatype, out var type);
        var input = Sample(type);
        var blob = TensorBinaryCodec.Encode(input);
        var header = $$$"""{"inputs":[{"name":"x","shape":[2,2],"datatype":"{{{datatype}}}","parameters":{"binary_data_size":{{{blob.Length}}}}}],"parameters":{"binary_data_output":true}}""";
        var (response, json, binary) = await SendBinaryAsync(host.Http, "/v2/models/plus1/infer", header, blob);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.MediaType);
        var output = json.GetProperty("outputs")[0];
        Assert.False(output.TryGetProperty("data", out _));
        var expected = new InferenceTensor("x_out", type, [2, 2], FakeInferenceService.PlusOne(type, input.Data));
        var expectedBytes = TensorBinaryCodec.Encode(expected);
        Assert.Equal(expectedBytes.Length, output.GetProperty("parameters").GetProperty("binary_data_size").GetInt64());
        Assert.Equal(expectedBytes, binary);
    }

    [Fact]
    public async Task Json_and_binary_inputs_mix_and_binary_data_per_output_overrides_the_request_default()
    {
        await using var host = await ServingTestHost.StartAsync();
        var b = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(b, 10);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), 20);
        var header = """
            {"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1,2]},{"name":"b","shape":[2],"datatype":"INT32","parameters":{"binary_data_size":8}}],
             "outputs":[{"name":"a_out","parameters":{"binary_data":false}},{"name":"b_out"}],"parameters":{"binary_data_output":true}}
            """;
        var (response, json, binary) = await SendBinaryAsync(host.Http, "/v2/models/plus1/infer", header, b);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var outputs = json.GetProperty("outputs");
        Assert.Equal([2.0, 3.0], outputs[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(8, outputs[1].GetProperty("parameters").GetProperty("binary_data_size").GetInt64());
        Assert.Equal(11, BinaryPrimitives.ReadInt32LittleEndian(binary));
        Assert.Equal(21, BinaryPrimitives.ReadInt32LittleEndian(binary.AsSpan(4)));
    }

    [Fact]
    public async Task A_json_request_can_ask_for_one_output_in_binary()
    {
        await using var host = await ServingTestHost.StartAsync();
        using var content = new StringContent("""{"inputs":[{"name":"a","shape":[1],"datatype":"FP64","data":[1]}],"outputs":[{"name":"a_out","parameters":{"binary_data":true}}]}""", Encoding.UTF8, "application/json");
        var response = await host.Http.PostAsync("/v2/models/plus1/infer", content);
        var (json, binary) = await SplitAsync(response);
        Assert.Equal(8, json.GetProperty("outputs")[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt64());
        Assert.Equal(2.0, BinaryPrimitives.ReadDoubleLittleEndian(binary));
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":7}}]}""", 7, "input 'x': 7 bytes of binary data, but shape [2] of FP32 needs 2 × 4 = 8 bytes")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}""", 12, "carries 12 bytes of binary data after its JSON header, but the inputs' binary_data_size add up to 8")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":16}}]}""", 8, "input 'x': binary_data_size 16 runs past the end of the body")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":-8}}]}""", 8, "binary_data_size must be a non-negative integer")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":"8"}}]}""", 8, "binary_data_size must be a non-negative integer")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,2],"parameters":{"binary_data_size":8}}]}""", 8, "has both 'data' and binary_data_size")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"BOOL","parameters":{"binary_data_size":2}}]}""", -2, "BOOL element 1 is the byte 2")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":6}}]}""", -1, "BYTES element 0 claims 100 bytes but only 2 remain")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":6}}]}""", -3, "needs 2 BYTES elements")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":8}}]}""", -4, "2 bytes of binary data are left over")]
    public async Task Binary_size_lies_are_400_naming_the_input(string header, int blob, string expected)
    {
        await using var host = await ServingTestHost.StartAsync();
        var bytes = blob switch
        {
            -1 => new byte[] { 100, 0, 0, 0, 1, 2 },
            -2 => new byte[] { 1, 2 },
            -3 => new byte[] { 2, 0, 0, 0, 1, 2 },
            -4 => new byte[] { 2, 0, 0, 0, 1, 2, 9, 9 },
            _ => new byte[blob],
        };
        var (response, json, _) = await SendBinaryAsync(host.Http, "/v2/models/plus1/infer", header, bytes);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, Wire.Error(json), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc", "must be one non-negative integer")]
    [InlineData("-1", "must be one non-negative integer")]
    [InlineData("100000", "is 100000 but the whole body is only")]
    [InlineData("0", "raw binary request")]
    public async Task A_bad_inference_header_content_length_is_400(string value, string expected)
    {
        await using var host = await ServingTestHost.StartAsync();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"inputs":[]}"""));
        content.Headers.TryAddWithoutValidation("Inference-Header-Content-Length", value);
        var response = await host.Http.PostAsync("/v2/models/plus1/infer", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, Wire.Error(JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync()).RootElement), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_data_size_without_the_header_is_400()
    {
        await using var host = await ServingTestHost.StartAsync();
        var (status, body, _) = await Wire.PostAsync(host.Http, "/v2/models/plus1/infer", """{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Inference-Header-Content-Length", Wire.Error(body), StringComparison.Ordinal);
    }

    internal static InferenceTensor Sample(TensorDataType type) => type switch
    {
        TensorDataType.Bool => InferenceTensor.Create("x", [2, 2], new[] { true, false, false, true }),
        TensorDataType.UInt8 => InferenceTensor.Create("x", [2, 2], new byte[] { 0, 1, 2, 255 }),
        TensorDataType.UInt16 => InferenceTensor.Create("x", [2, 2], new ushort[] { 0, 1, 2, 65535 }),
        TensorDataType.UInt32 => InferenceTensor.Create("x", [2, 2], new uint[] { 0, 1, 2, uint.MaxValue }),
        TensorDataType.UInt64 => InferenceTensor.Create("x", [2, 2], new ulong[] { 0, 1, 2, ulong.MaxValue }),
        TensorDataType.Int8 => InferenceTensor.Create("x", [2, 2], new sbyte[] { -128, -1, 0, 127 }),
        TensorDataType.Int16 => InferenceTensor.Create("x", [2, 2], new short[] { -32768, -1, 0, 32767 }),
        TensorDataType.Int32 => InferenceTensor.Create("x", [2, 2], new[] { int.MinValue, -1, 0, int.MaxValue }),
        TensorDataType.Int64 => InferenceTensor.Create("x", [2, 2], new[] { long.MinValue, -1, 0, long.MaxValue }),
        TensorDataType.Fp16 => InferenceTensor.Create("x", [2, 2], new[] { (Half)0.5f, (Half)(-1f), (Half)2.25f, (Half)1000f }),
        TensorDataType.Fp32 => InferenceTensor.Create("x", [2, 2], new[] { 0.5f, -1f, 2.25f, 1e10f }),
        TensorDataType.Fp64 => InferenceTensor.Create("x", [2, 2], new[] { 0.5, -1, 2.25, 1e300 }),
        _ => InferenceTensor.Create("x", [2, 2], new[] { "a"u8.ToArray(), Array.Empty<byte>(), new byte[] { 0, 0xff, 0x80 }, "h\u00e9llo"u8.ToArray() }),
    };

    internal static async Task<(HttpResponseMessage Response, JsonElement Json, byte[] Binary)> SendBinaryAsync(HttpClient http, string path, string header, byte[] blob)
    {
        var json = Encoding.UTF8.GetBytes(header);
        using var content = new ByteArrayContent([.. json, .. blob]);
        content.Headers.ContentType = new("application/octet-stream");
        content.Headers.TryAddWithoutValidation("Inference-Header-Content-Length", json.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await http.PostAsync(path, content);
        var (body, binary) = await SplitAsync(response);
        return (response, body, binary);
    }

    internal static async Task<(JsonElement Json, byte[] Binary)> SplitAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var length = response.Headers.TryGetValues("Inference-Header-Content-Length", out var values) ? int.Parse(values.Single(), System.Globalization.CultureInfo.InvariantCulture) : bytes.Length;
        return (JsonDocument.Parse(bytes.AsMemory(0, length)).RootElement.Clone(), bytes[length..]);
    }
}
