using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Mlops.Benchmarks.Serving;

/// <summary>
/// The ceiling: a bare Kestrel endpoint that reads an OIP JSON request with Utf8JsonReader, runs the seed's MLP
/// (42 → 64 relu → 64 relu → 1 sigmoid) written by hand, and writes an OIP JSON response — no framework between.
/// </summary>
internal sealed class BareMlpEndpoint : IAsyncDisposable
{
    private readonly WebApplication app;

    private BareMlpEndpoint(WebApplication app, string url)
    {
        this.app = app;
        Url = url;
    }

    public string Url { get; }

    public static async Task<BareMlpEndpoint> StartAsync(HandMlp mlp)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        app.MapPost("/v2/models/recsys/infer", async context =>
        {
            var body = await context.Request.BodyReader.ReadAtLeastAsync(int.MaxValue, context.RequestAborted).ConfigureAwait(false);
            var input = new float[mlp.InputWidth];
            var id = Parse(body.Buffer, input);
            context.Request.BodyReader.AdvanceTo(body.Buffer.End);
            var output = mlp.Forward(input);
            context.Response.ContentType = "application/json";
            var writer = new Utf8JsonWriter(context.Response.BodyWriter);
            writer.WriteStartObject();
            writer.WriteString("model_name", "recsys");
            if (id is not null)
            {
                writer.WriteString("id", id);
            }

            writer.WriteStartArray("outputs");
            writer.WriteStartObject();
            writer.WriteString("name", "output");
            writer.WriteString("datatype", "FP32");
            writer.WriteStartArray("shape");
            writer.WriteNumberValue(1);
            writer.WriteNumberValue(1);
            writer.WriteEndArray();
            writer.WriteStartArray("data");
            writer.WriteNumberValue(output);
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        });
        await app.StartAsync().ConfigureAwait(false);
        return new BareMlpEndpoint(app, app.Urls.First());
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    // Reads the request's id and the first input's data (flat or nested numbers) into the buffer.
    private static string? Parse(ReadOnlySequence<byte> body, float[] input)
    {
        var reader = new Utf8JsonReader(body);
        string? id = null;
        var depth = 0;
        var count = 0;
        var inData = false;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName when reader.CurrentDepth == 1 && reader.ValueTextEquals("id"u8):
                    reader.Read();
                    id = reader.GetString();
                    break;
                case JsonTokenType.PropertyName when reader.ValueTextEquals("data"u8):
                    inData = true;
                    depth = reader.CurrentDepth;
                    break;
                case JsonTokenType.Number when inData && count < input.Length:
                    input[count++] = reader.GetSingle();
                    break;
                case JsonTokenType.EndArray when inData && reader.CurrentDepth == depth:
                    inData = false;
                    break;
            }
        }

        if (count != input.Length)
        {
            throw new Microsoft.AspNetCore.Http.BadHttpRequestException($"expected {input.Length} values, got {count}");
        }

        return id;
    }
}

/// <summary>The seed's MLP in plain C# loops, with fixed random weights.</summary>
internal sealed class HandMlp
{
    private readonly float[][] weights;
    private readonly float[][] biases;
    private readonly int[] widths;

    public HandMlp(int inputWidth, int seed, params int[] hidden)
    {
        widths = [inputWidth, .. hidden, 1];
        var random = new Random(seed);
        weights = new float[widths.Length - 1][];
        biases = new float[widths.Length - 1][];
        for (var l = 0; l < weights.Length; l++)
        {
            weights[l] = Enumerable.Range(0, widths[l] * widths[l + 1]).Select(_ => (float)((random.NextDouble() - 0.5) * 0.2)).ToArray();
            biases[l] = new float[widths[l + 1]];
        }
    }

    public int InputWidth => widths[0];

    public float Forward(ReadOnlySpan<float> input)
    {
        Span<float> a = stackalloc float[128];
        Span<float> b = stackalloc float[128];
        input.CopyTo(a);
        for (var l = 0; l < weights.Length; l++)
        {
            int n = widths[l], m = widths[l + 1];
            var w = weights[l];
            for (var j = 0; j < m; j++)
            {
                var sum = biases[l][j];
                for (var i = 0; i < n; i++)
                {
                    sum += a[i] * w[(j * n) + i];
                }

                b[j] = l == weights.Length - 1 ? 1f / (1f + MathF.Exp(-sum)) : MathF.Max(0, sum);
            }

            b[..m].CopyTo(a);
        }

        return a[0];
    }
}
