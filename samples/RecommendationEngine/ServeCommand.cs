using System.Collections;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mlops.Features;
using Mlops.Serving;
using Mlops.Storage;
using Mlops.Tracking;
using Mlops.Training.Tracking;
using RecommendationEngine.Training;

namespace RecommendationEngine;

/// <summary>
/// <c>RecommendationEngine serve [--dir D] [--tracking-uri U] [--port 8080] [--grpc-port 8081] [--poll-interval-s 10] [--once]</c>:
/// serves the registered seed model <c>models:/recsys@champion</c> over the Open Inference Protocol (REST and gRPC, on
/// 127.0.0.1) with batching, following the alias as the DAG's deployment moves it. <c>--once</c> starts the server,
/// sends it one request of three real feature rows over HTTP, prints the answer and stops.
/// </summary>
public static class ServeCommand
{
    /// <summary>The registered model the sample serves.</summary>
    public const string RegisteredModel = "recsys";

    /// <summary>The alias the deployment moves and the server follows.</summary>
    public const string Alias = "champion";

    /// <summary>Runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options)
    {
        var root = Path.GetFullPath(options.GetValueOrDefault("dir") ?? Path.Combine("out", "recommendation-engine"));
        var trackingUri = options.GetValueOrDefault("tracking-uri") ?? "sqlite:///" + Path.Combine(root, "mlruns.db");
        var once = options.ContainsKey("once");
        var port = Port(options, "port", once ? 0 : 8080);
        int? grpcPort = options.ContainsKey("grpc-port") ? Port(options, "grpc-port", 0) : null;
        var poll = TimeSpan.FromSeconds(Port(options, "poll-interval-s", 10));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(once ? LogLevel.Warning : LogLevel.Information);
        ListenOptions? rest = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port, l => { l.Protocols = HttpProtocols.Http1; rest = l; });
            if (grpcPort is { } g)
            {
                kestrel.Listen(IPAddress.Loopback, g, l => l.Protocols = HttpProtocols.Http2);
            }
        });
        builder.Services.AddMlops(builder.Configuration)
            .AddStorage()
            .AddFeatures()
            .AddTracking(o => o.TrackingUri = trackingUri)
            .AddTorchSharpFlavor()
            .AddServing(o =>
            {
                o.AddModel(RegisteredModel, $"models:/{RegisteredModel}@{Alias}").WithBatching(64, TimeSpan.FromMilliseconds(2));
                o.RegistryPollInterval = poll;
            });
        await using var app = builder.Build();
        app.MapInferenceProtocol();
        await app.StartAsync();
        var url = $"http://127.0.0.1:{rest!.IPEndPoint!.Port}";
        Console.WriteLine($"serve: models:/{RegisteredModel}@{Alias} from {trackingUri}");
        Console.WriteLine($"  REST {url}/v2/models/{RegisteredModel} (infer: POST .../infer){(grpcPort is { } gp ? $", gRPC 127.0.0.1:{gp}" : "")}, metrics {url}/metrics; the alias is re-read every {poll.TotalSeconds:0} s");
        using var http = new HttpClient { BaseAddress = new Uri(url + "/") };
        var ready = await http.GetAsync($"v2/models/{RegisteredModel}/ready");
        if (ready.StatusCode != HttpStatusCode.OK)
        {
            var index = await http.PostAsync("v2/repository/index", JsonContent.Create(new JsonObject()));
            Console.Error.WriteLine($"serve: {RegisteredModel} is not ready: {await index.Content.ReadAsStringAsync()}");
            Console.Error.WriteLine("  (run the DAG first: RecommendationEngine pipeline; its model_deployment registers the model and sets the alias)");
            await app.StopAsync();
            return 1;
        }

        if (once)
        {
            var exitCode = await AskOnceAsync(http, app.Services.GetRequiredService<FrameSession>(), Path.Combine(root, "processed_features"));
            await app.StopAsync();
            return exitCode;
        }

        Console.WriteLine("  serving; Ctrl+C stops");
        await app.WaitForShutdownAsync();
        return 0;
    }

    // One OIP request over HTTP with the first three rows of the feature job's output.
    private static async Task<int> AskOnceAsync(HttpClient http, FrameSession session, string features)
    {
        var rows = session.ReadParquet(features).Select(ModelSignatures.Input).Head(3).Select(r => Vector(r[ModelSignatures.Input])).ToArray();
        var width = rows[0].Length;
        var body = new JsonObject
        {
            ["id"] = "serve-once",
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = ModelSignatures.Input,
                ["datatype"] = "FP32",
                ["shape"] = new JsonArray(rows.Length, width),
                ["data"] = new JsonArray(rows.SelectMany(r => r).Select(v => (JsonNode)v).ToArray()),
            }),
        };
        var response = await http.PostAsJsonAsync($"v2/models/{RegisteredModel}/infer", body);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Console.Error.WriteLine($"serve: the server answered {(int)response.StatusCode}: {text}");
            return 1;
        }

        var answer = JsonNode.Parse(text)!;
        var output = answer["outputs"]!.AsArray().First(o => o!["name"]!.GetValue<string>() == ModelSignatures.Output)!;
        var scores = output["data"]!.AsArray().Select(v => v!.GetValue<double>().ToString("0.0000", CultureInfo.InvariantCulture));
        Console.WriteLine($"  POST /v2/models/{RegisteredModel}/infer, 3 rows of {width} features -> {RegisteredModel} v{answer["model_version"]}: click probability {string.Join(", ", scores)}");
        return 0;
    }

    private static float[] Vector(object? value) => value switch
    {
        float[] floats => floats,
        double[] doubles => doubles.Select(d => (float)d).ToArray(),
        IEnumerable items => items.Cast<object>().Select(o => Convert.ToSingle(o, CultureInfo.InvariantCulture)).ToArray(),
        _ => throw new InvalidOperationException($"The features column holds {value?.GetType().Name ?? "null"}, not a vector."),
    };

    private static int Port(IReadOnlyDictionary<string, string> options, string name, int fallback) =>
        !options.TryGetValue(name, out var text) ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= 65535 ? value
        : throw new ArgumentException($"Invalid --{name} '{text}': expected a number from 0 to 65535.");
}
