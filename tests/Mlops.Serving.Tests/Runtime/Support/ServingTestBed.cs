using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.MLNet;
using Mlops.Serving.Hosting;
using Mlops.Serving.Inference;
using Mlops.Tracking;
using Mlops.Tracking.Models;
using Mlops.Tracking.Tests.Support;
using Mlops.Training;
using Mlops.Training.Tracking;

namespace Mlops.Serving.Tests.Runtime.Support;

/// <summary>
/// A SQLite tracking store in a temp folder with real models logged into it (TorchSharp <c>Sequential</c> models,
/// registered), and hosts that serve them through <c>AddMlops().AddTracking().AddServing()</c>.
/// </summary>
internal sealed class ServingTestBed : IAsyncDisposable
{
    public const int Width = 4;

    private readonly List<IHost> _hosts = [];

    public ServingTestBed()
    {
        TrackingUri = "sqlite:///" + Folder.Combine("mlruns.db");
        Tracking = new TrackingClient(TrackingUri) { Flavors = ModelFlavorRegistry.Create(new TorchSharpModelFlavor(), new MLNetFlavor(), Gated) };
    }

    public TempFolder Folder { get; } = new();

    public string TrackingUri { get; }

    public TrackingClient Tracking { get; }

    public GatedFlavor Gated { get; } = new();

    public static ModelSignature TorchSignature { get; } =
        new([SignatureField.Tensor("features", "float32", -1, Width)], [SignatureField.Tensor("prediction", "float32", -1, 2)]);

    /// <summary>Logs a 4 → 2 TorchSharp model (weights from <paramref name="seed"/>) and registers it; returns the version.</summary>
    public string LogTorch(int seed, string name = "recsys", ModelSignature? signature = null)
    {
        using var model = Sequential.Input(Width).Dense(8, Activation.Relu).Dense(2, Activation.Sigmoid).Build(seed: seed)
            .Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);
        using var run = Tracking.StartRun("train");
        return run.LogModel(model, "model", signature ?? TorchSignature, registeredModelName: name).RegisteredVersion.Version;
    }

    /// <summary>What a version predicts, loaded straight from the registry (no serving).</summary>
    public float[][] Expected(string name, string version, float[][] rows)
    {
        using var loaded = Tracking.LoadModel($"models:/{name}/{version}");
        return (float[][])((IColumnPredictor)loaded).Predict(new Dictionary<string, Array> { ["features"] = rows })["prediction"];
    }

    public static float[][] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, Width).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
    }

    public static InferenceRequest Request(float[][] rows, string? id = null, string input = "features") =>
        new([new InferenceTensor(input, TensorDataType.Fp32, [rows.Length, Width], rows.SelectMany(r => r).ToArray())], id);

    public static float[][] Rows(InferenceResponse response, string output = "prediction")
    {
        var tensor = response.Outputs.Single(o => o.Name == output);
        var width = (int)tensor.Shape[1];
        var data = tensor.GetData<float>();
        return Enumerable.Range(0, (int)tensor.Shape[0]).Select(r => data.AsSpan(r * width, width).ToArray()).ToArray();
    }

    public static void AssertRows(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r].Length, actual[r].Length);
            for (var c = 0; c < expected[r].Length; c++)
            {
                Assert.Equal(expected[r][c], actual[r][c], 1e-5f);
            }
        }
    }

    /// <summary>Builds and starts a host serving what <paramref name="configure"/> says.</summary>
    public async Task<IHost> StartAsync(Action<ServingOptions> configure, Action<IServiceCollection>? services = null, bool start = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IModelFlavor>(Gated);
        services?.Invoke(builder.Services);
        builder.Services.AddMlops().AddTracking(o => o.TrackingUri = TrackingUri).AddTorchSharpFlavor().AddMLNetFlavor().AddServing(configure);
        var host = builder.Build();
        _hosts.Add(host);
        if (start)
        {
            await host.StartAsync();
        }

        return host;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            try
            {
                await host.StopAsync();
            }
            catch (OperationCanceledException)
            {
            }
            catch (InvalidOperationException)
            {
                // A host whose start was refused.
            }

            host.Dispose();
        }

        Tracking.Dispose();
        Folder.Dispose();
    }
}

internal static class HostExtensions
{
    public static InferenceService Inference(this IHost host) => host.Services.GetRequiredService<InferenceService>();

    public static ServingInferenceService Runtime(this IHost host) => host.Services.GetRequiredService<ServingInferenceService>();
}

/// <summary>The measurements of one instrument of one host's serving meter.</summary>
internal sealed class MeasurementLog : IDisposable
{
    private readonly MeterListener _listener = new();

    public MeasurementLog(IHost host, string instrument)
    {
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (i, listener) =>
        {
            if (i.Meter.Scope == factory && i.Name == instrument)
            {
                listener.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Values.Enqueue((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Values.Enqueue(((long)value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _listener.Start();
    }

    public ConcurrentQueue<(long Value, Dictionary<string, object?> Tags)> Values { get; } = new();

    public void Observe() => _listener.RecordObservableInstruments();

    public void Dispose() => _listener.Dispose();
}
