using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Mlops.Serving.Tests.FrontEnds;

namespace Mlops.Serving.Tests.Rest;

/// <summary>
/// Seeded malformed requests (bad JSON, truncated bodies, wrong types, shapes, datatypes, huge numbers, binary size
/// lies, unknown names, odd unicode, bodies over the limit): none may answer 5xx, every error body is exactly
/// <c>{"error": "..."}</c>, and the server answers a good request afterwards.
/// </summary>
public sealed class RestFuzzTests
{
    private const string Valid = """{"id":"f","parameters":{"p":1},"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]},{"name":"s","shape":[1],"datatype":"BYTES","data":["hi"]}],"outputs":[{"name":"x_out"}]}""";

    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-1", "1.5", "1e400", "-1e400", "18446744073709551616", "-9223372036854775809", "\"\"", "\"x\"",
        "\"\\ud800\"", "\"\\u0000\"", "[]", "[[]]", "{}", "[1,[2]]", "[null]", "\"NaN\"", "99999999999999999999999999", "[-0]", "\"\u202e\ufeff\"",
        "[1e39]", "[\"\\uDFFF\"]", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    ];

    private static readonly string[] Datatypes = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES", "BF16", "fp32", "", "FP32 ", "\u0000"];

    [Fact]
    public async Task A_thousand_malformed_requests_get_no_5xx_and_only_error_bodies()
    {
        await using var host = await ServingTestHost.StartAsync(o => o.MaxRequestBodyBytes = 64 * 1024);
        var random = new Random(20261208);
        var outcomes = new Dictionary<HttpStatusCode, int>();
        for (var i = 0; i < 1200; i++)
        {
            var (path, body, headerLength) = Mutate(random, i);
            using var content = new ByteArrayContent(body);
            content.Headers.TryAddWithoutValidation("Content-Type", headerLength is null ? "application/json" : "application/octet-stream");
            if (headerLength is { } length)
            {
                content.Headers.TryAddWithoutValidation("Inference-Header-Content-Length", length);
            }

            using var response = await host.Http.PostAsync(path, content);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.True((int)response.StatusCode < 500, $"request {i} to {path} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
            outcomes[response.StatusCode] = outcomes.GetValueOrDefault(response.StatusCode) + 1;
            if (!response.IsSuccessStatusCode)
            {
                var split = response.Headers.TryGetValues("Inference-Header-Content-Length", out _);
                Assert.False(split);
                Wire.Error(JsonDocument.Parse(bytes).RootElement);
            }
        }

        Assert.True(outcomes.GetValueOrDefault(HttpStatusCode.BadRequest) > 600, string.Join(", ", outcomes));
        Assert.True(outcomes.ContainsKey(HttpStatusCode.RequestEntityTooLarge), string.Join(", ", outcomes));
        Assert.True(outcomes.ContainsKey(HttpStatusCode.NotFound), string.Join(", ", outcomes));
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Wire.PostAsync(host.Http, "/v2/models/plus1/infer", Valid)).Status);
    }

    private static (string Path, byte[] Body, string? HeaderLength) Mutate(Random random, int i)
    {
        var valid = Encoding.UTF8.GetBytes(Valid);
        switch (i % 11)
        {
            case 0:
                {
                    var bytes = valid.ToArray();
                    for (var n = random.Next(1, 4); n > 0; n--)
                    {
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    }

                    return ("/v2/models/plus1/infer", bytes, null);
                }

            case 1:
                return ("/v2/models/plus1/infer", valid[..random.Next(valid.Length)], null);
            case 2:
                {
                    // A value somewhere replaced by something of another type.
                    string[] slots = ["\"f\"", "{\"p\":1}", "[2,2]", "\"FP32\"", "[[1,2],[3,4]]", "[\"hi\"]", "\"x\"", "[1]", "2", "1"];
                    var slot = slots[random.Next(slots.Length)];
                    var text = Valid;
                    var at = text.IndexOf(slot, StringComparison.Ordinal);
                    return ("/v2/models/plus1/infer", Encoding.UTF8.GetBytes(text[..at] + Values[random.Next(Values.Length)] + text[(at + slot.Length)..]), null);
                }

            case 3:
                {
                    var shape = string.Join(",", Enumerable.Range(0, random.Next(0, 5)).Select(_ => random.Next(5) == 0 ? Values[random.Next(Values.Length)] : random.Next(-2, 6).ToString(CultureInfo.InvariantCulture)));
                    return ("/v2/models/plus1/infer", Encoding.UTF8.GetBytes(Valid.Replace("[2,2]", "[" + shape + "]", StringComparison.Ordinal)), null);
                }

            case 4:
                return ("/v2/models/plus1/infer", Encoding.UTF8.GetBytes(Valid.Replace("\"FP32\"", JsonSerializer.Serialize(Datatypes[random.Next(Datatypes.Length)]), StringComparison.Ordinal)), null);
            case 5:
                {
                    var datatype = Datatypes[random.Next(13)];
                    var number = random.Next(4) switch
                    {
                        0 => "1" + new string('9', random.Next(1, 400)),
                        1 => "-" + new string('9', random.Next(1, 40)),
                        2 => "1e" + random.Next(-400, 400).ToString(CultureInfo.InvariantCulture),
                        _ => random.NextDouble().ToString("R", CultureInfo.InvariantCulture),
                    };
                    return ("/v2/models/plus1/infer", Encoding.UTF8.GetBytes($$"""{"inputs":[{"name":"x","shape":[2],"datatype":"{{datatype}}","data":[{{number}},1]}]}"""), null);
                }

            case 6:
                {
                    // Binary framing with a lie in the sizes or the header length.
                    var datatype = Datatypes[random.Next(13)];
                    var size = random.Next(-2, 40);
                    var header = Encoding.UTF8.GetBytes($$$"""{"inputs":[{"name":"x","shape":[{{{random.Next(0, 5)}}}],"datatype":"{{{datatype}}}","parameters":{"binary_data_size":{{{size}}}}}]}""");
                    var blob = new byte[random.Next(0, 40)];
                    random.NextBytes(blob);
                    var length = random.Next(3) == 0 ? random.Next(-5, header.Length + 50).ToString(CultureInfo.InvariantCulture) : header.Length.ToString(CultureInfo.InvariantCulture);
                    return ("/v2/models/plus1/infer", [.. header, .. blob], length);
                }

            case 7:
                {
                    var name = RandomText(random);
                    return ($"/v2/models/{Uri.EscapeDataString(name.Length == 0 ? "n" : name)}/infer", valid, null);
                }

            case 8:
                return ("/v2/models/plus1/infer", Encoding.UTF8.GetBytes(Valid.Replace("\"x\"", JsonSerializer.Serialize(RandomText(random)), StringComparison.Ordinal).Replace("\"hi\"", "\"" + RandomEscapes(random) + "\"", StringComparison.Ordinal)), null);
            case 9:
                {
                    var bytes = new byte[random.Next(1, 200)];
                    random.NextBytes(bytes);
                    return ("/v2/models/plus1/infer", bytes, null);
                }

            default:
                {
                    if (i % 5 == 0)
                    {
                        // Over the 64 KiB limit.
                        return ("/v2/models/plus1/infer", Encoding.UTF8.GetBytes("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"" + new string('a', 70_000) + "\"]}]}"), null);
                    }

                    return ("/v2/models/plus1/infer", Encoding.UTF8.GetBytes($$"""{"inputs":[{"name":"x","shape":[{{random.Next(1, 100000)}}],"datatype":"FP32","data":[1]}]}"""), null);
                }
        }
    }

    private static string RandomText(Random random)
    {
        var text = new StringBuilder();
        for (var n = random.Next(0, 8); n > 0; n--)
        {
            text.Append(random.Next(4) switch
            {
                0 => ((char)random.Next(0x20, 0x7f)).ToString(),
                1 => ((char)random.Next(0x80, 0xd7ff)).ToString(),
                2 => "\u202e",
                _ => char.ConvertFromUtf32(random.Next(0x10000, 0x10ffff)),
            });
        }

        return text.ToString();
    }

    private static string RandomEscapes(Random random) => string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(3) switch
    {
        0 => "\\ud83d\\ude00",
        1 => "\\u" + random.Next(0xd800, 0xe000).ToString("x4", CultureInfo.InvariantCulture),
        _ => "\\x",
    }));
}
