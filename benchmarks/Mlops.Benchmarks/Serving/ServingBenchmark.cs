using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mlops.Onnx;
using Mlops.Serving;
using Mlops.Serving.Grpc.Protocol;
using Mlops.Serving.Inference;
using Mlops.Tracking;
using Mlops.Tracking.Models;
using Mlops.Training;
using Mlops.Training.Onnx;
using Mlops.Training.Tracking;

namespace Mlops.Benchmarks.Serving;

/// <summary>
/// Requests per second and latency of Mlops.Serving against the ceiling on this machine, in one run:
/// a bare Kestrel endpoint running the seed's MLP by hand, then Mlops.Serving over OIP JSON (the TorchSharp and ONNX
/// flavors, batching off and on), the binary tensor extension, gRPC (a C# load client), and the in-process predictor.
/// Everything on loopback; every load loop bounded in time.
///   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- serving [--warmup 30] [--duration 20] [--connections 64]
/// </summary>
public static class ServingBenchmark
{
    private const int Width = 42;

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options)
    {
        var warmup = TimeSpan.FromSeconds(Int(options, "warmup", 30));
        var duration = TimeSpan.FromSeconds(Int(options, "duration", 20));
        var connections = Int(options, "connections", 64);
        if (!WrkRunner.IsInstalled())
        {
            Console.Error.WriteLine("serving: wrk is not installed (Debian: apt-get install wrk).");
            return 2;
        }

        var folder = Path.Combine(Path.GetTempPath(), "mlops-serving-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var trackingUri = "sqlite:///" + Path.Combine(folder, "mlruns.db");
            LogSeedModels(trackingUri);
            var row = Enumerable.Range(0, Width).Select(i => (float)Math.Round(Math.Sin(i) * 0.5 + 0.5, 4)).ToArray();
            var json = Encoding.UTF8.GetBytes(
                "{\"id\":\"1\",\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,42],\"data\":["
                + string.Join(",", row.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]}]}");
            var jsonHeaders = new Dictionary<string, string> { ["Content-Type"] = "application/json" };
            var results = new List<(string Name, WrkRunner.Result Result)>();
            Console.WriteLine($"serving: wrk -t2 -c{connections}, {warmup.TotalSeconds:0} s warm-up then {duration.TotalSeconds:0} s measured per server; {Environment.ProcessorCount} cores");

            await using (var bare = await BareMlpEndpoint.StartAsync(new HandMlp(Width, seed: 1, 64, 64)))
            {
                results.Add(("bare Kestrel + hand-written MLP (ceiling)", Measure(bare.Url + "/v2/models/recsys/infer", json, jsonHeaders, connections, warmup, duration)));
            }

            var (app, rest, grpcUri) = await StartServingAsync(trackingUri);
            await using (app)
            {
                var only = options.GetValueOrDefault("models")?.Split(',');
                foreach (var (name, model) in new[]
                {
                    ("Mlops.Serving JSON, torchsharp, batching off", "recsys"),
                    ("Mlops.Serving JSON, torchsharp, batching 64/1 ms", "recsys-batched"),
                    ("Mlops.Serving JSON, onnx, batching off", "recsys-onnx"),
                    ("Mlops.Serving JSON, onnx, batching 64/1 ms", "recsys-onnx-batched"),
                }.Where(m => only is null || only.Contains(m.Item2)))
                {
                    using (var probe = new HttpClient())
                    {
                        var answer = await probe.PostAsync($"{rest}v2/models/{model}/infer", new ByteArrayContent(json) { Headers = { ContentType = new("application/json") } });
                        Console.WriteLine($"  probe {model}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
                    }

                    results.Add((name, Measure($"{rest}v2/models/{model}/infer", json, jsonHeaders, connections, warmup, duration)));
                }

                var header = Encoding.UTF8.GetBytes("{\"id\":\"1\",\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[1,42],\"parameters\":{\"binary_data_size\":168}}],\"parameters\":{\"binary_data_output\":true}}");
                var binary = new byte[header.Length + (Width * sizeof(float))];
                header.CopyTo(binary, 0);
                Buffer.BlockCopy(row, 0, binary, header.Length, Width * sizeof(float));
                var binaryHeaders = new Dictionary<string, string>
                {
                    ["Content-Type"] = "application/octet-stream",
                    ["Inference-Header-Content-Length"] = header.Length.ToString(CultureInfo.InvariantCulture),
                };
                results.Add(("Mlops.Serving binary tensors, onnx, batching off", Measure($"{rest}v2/models/recsys-onnx/infer", binary, binaryHeaders, connections, warmup, duration)));

                var grpc = await GrpcLoadAsync(grpcUri, "recsys-onnx", row, connections, warmup, duration);
                var predictor = await PredictorLatencyAsync(app.Services.GetRequiredService<InferenceService>(), "recsys-onnx", row, warmup, duration);
                var ceiling = results[0].Result.RequestsPerSecond;
                Console.WriteLine();
                Console.WriteLine($"| {"server",-52} | {"req/s",9} | {"× ceiling",9} | {"p50 ms",7} | {"p99 ms",7} | {"errors",6} |");
                Console.WriteLine($"|{new string('-', 54)}|{new string('-', 11)}|{new string('-', 11)}|{new string('-', 9)}|{new string('-', 9)}|{new string('-', 8)}|");
                foreach (var (name, r) in results.Append(("Mlops.Serving gRPC raw, onnx, batching off (C# client)", grpc)))
                {
                    Console.WriteLine($"| {name,-52} | {r.RequestsPerSecond,9:N0} | {r.RequestsPerSecond / ceiling,9:0.00} | {r.P50Ms,7:0.00} | {r.P99Ms,7:0.00} | {r.Errors,6} |");
                }

                Console.WriteLine($"| {"in-process ModelPredictor, onnx, one caller",-52} | {predictor.RequestsPerSecond,9:N0} | {"",9} | {predictor.P50Ms,7:0.000} | {predictor.P99Ms,7:0.000} | {predictor.Errors,6} |");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static WrkRunner.Result Measure(string url, byte[] body, IReadOnlyDictionary<string, string> headers, int connections, TimeSpan warmup, TimeSpan duration)
    {
        if (warmup > TimeSpan.Zero)
        {
            WrkRunner.Run(url, body, headers, threads: 2, connections, warmup);
        }

        var result = WrkRunner.Run(url, body, headers, threads: 2, connections, duration);
        Console.WriteLine($"  {url}: {result.RequestsPerSecond:N0} req/s, p50 {result.P50Ms:0.00} ms, p99 {result.P99Ms:0.00} ms, {result.Errors} errors");
        return result;
    }

    // The seed's architecture (42 → 64 relu → 64 relu → 1 sigmoid), logged with the torchsharp flavor and as ONNX.
    private static void LogSeedModels(string trackingUri)
    {
        using var tracking = new TrackingClient(trackingUri) { Flavors = ModelFlavorRegistry.Create(new TorchSharpModelFlavor(), new OnnxModelFlavor()) };
        using var model = Sequential.Input(Width).Dense(64, Activation.Relu).Dense(64, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 1)
            .Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy);
        using var run = tracking.StartRun("serving-benchmark");
        var signature = new ModelSignature([SignatureField.Tensor("features", "float32", -1, Width)], [SignatureField.Tensor("prediction", "float32", -1, 1)]);
        var torch = run.LogModel(model, "model", signature, registeredModelName: "recsys").RegisteredVersion.Version;
        tracking.Registry.SetRegisteredModelAlias("recsys", "champion", torch);
        var onnx = OnnxModel.FromBytes(OnnxExporter.ToBytes(model, new OnnxExportOptions { InputName = "features", OutputName = "prediction" }));
        var onnxVersion = run.LogModel(onnx, "onnx", registeredModelName: "recsys-onnx").RegisteredVersion.Version;
        tracking.Registry.SetRegisteredModelAlias("recsys-onnx", "champion", onnxVersion);
    }

    private static async Task<(WebApplication App, string RestUrl, string GrpcUrl)> StartServingAsync(string trackingUri)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ListenOptions? rest = null, grpc = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http1; rest = l; });
            k.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http2; grpc = l; });
        });
        builder.Services.AddMlops().AddTracking(o => o.TrackingUri = trackingUri).AddTorchSharpFlavor().AddOnnxFlavor().AddServing(o =>
        {
            o.AddModel("recsys", "models:/recsys@champion");
            o.AddModel("recsys-batched", "models:/recsys@champion").WithBatching(64, TimeSpan.FromMilliseconds(1));
            o.AddModel("recsys-onnx", "models:/recsys-onnx@champion").Workers = 2;
            o.AddModel("recsys-onnx-batched", "models:/recsys-onnx@champion").WithBatching(64, TimeSpan.FromMilliseconds(1)).Workers = 2;
        });
        var app = builder.Build();
        app.MapInferenceProtocol();
        await app.StartAsync();
        return (app, $"http://127.0.0.1:{rest!.IPEndPoint!.Port}/", $"http://127.0.0.1:{grpc!.IPEndPoint!.Port}");
    }

    private static async Task<WrkRunner.Result> GrpcLoadAsync(string address, string model, float[] row, int callers, TimeSpan warmup, TimeSpan duration)
    {
        using var channel = GrpcChannel.ForAddress(address);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var raw = new byte[row.Length * sizeof(float)];
        Buffer.BlockCopy(row, 0, raw, 0, raw.Length);
        var request = new ModelInferRequest { ModelName = model, Id = "1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32" };
        input.Shape.Add([1, Width]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(raw));
        await LoopAsync(async () => await client.ModelInferAsync(request), callers, warmup, keep: false);
        var (latencies, errors, elapsed) = await LoopAsync(async () => await client.ModelInferAsync(request), callers, duration, keep: true);
        var result = Summarize(latencies, errors, elapsed);
        Console.WriteLine($"  gRPC {address}: {result.RequestsPerSecond:N0} req/s, p50 {result.P50Ms:0.00} ms, p99 {result.P99Ms:0.00} ms, {errors} errors");
        return result;
    }

    private static async Task<WrkRunner.Result> PredictorLatencyAsync(InferenceService service, string model, float[] row, TimeSpan warmup, TimeSpan duration)
    {
        var predictor = new ModelPredictor(service, model);
        float[][] rows = [row];
        await LoopAsync(async () => await predictor.PredictAsync(rows), 1, warmup / 3, keep: false);
        var (latencies, errors, elapsed) = await LoopAsync(async () => await predictor.PredictAsync(rows), 1, duration / 2, keep: true);
        return Summarize(latencies, errors, elapsed);
    }

    private static async Task<(List<double> Latencies, long Errors, TimeSpan Elapsed)> LoopAsync(Func<Task> call, int callers, TimeSpan duration, bool keep)
    {
        var all = new List<double>();
        long errors = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            var mine = new List<double>(keep ? 200_000 : 0);
            while (watch.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await call();
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref errors);
                }

                if (keep)
                {
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }

            lock (all)
            {
                all.AddRange(mine);
            }
        }));
        return (all, errors, watch.Elapsed);
    }

    private static WrkRunner.Result Summarize(List<double> latencies, long errors, TimeSpan elapsed)
    {
        latencies.Sort();
        double At(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        return new WrkRunner.Result(latencies.Count / elapsed.TotalSeconds, At(0.50), At(0.99), latencies.Count, errors);
    }

    private static int Int(IReadOnlyDictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
