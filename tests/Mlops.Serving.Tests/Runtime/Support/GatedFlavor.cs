using System.Text.Json.Nodes;
using Mlops.Tracking.Models;

namespace Mlops.Serving.Tests.Runtime.Support;

/// <summary>
/// A model flavor for tests that need to hold a forward pass: its model doubles column <c>x</c> into <c>y</c>, refuses
/// NaN (as a model's own check would), and while closed blocks each pass until opened, signalling each pass it enters.
/// A manifest setting <c>broken</c> makes its load fail.
/// </summary>
internal sealed class GatedFlavor : IModelFlavor
{
    private volatile TaskCompletionSource? _gate;

    public string Name => "gated";

    public SemaphoreSlim Entered { get; } = new(0);

    public int Disposed;

    public bool CanSave(object model) => false;

    public Task<JsonObject> SaveAsync(object model, string directory, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<ILoadedModel> LoadAsync(string directory, ModelManifest manifest, CancellationToken cancellationToken = default) =>
        manifest.Flavors[Name]["broken"] is not null
            ? throw new InvalidDataException("the gated model's weights are corrupt")
            : Task.FromResult<ILoadedModel>(new Model(this, manifest));

    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _gate?.TrySetResult();

    /// <summary>Writes a model folder this flavor loads: input <c>x</c> FP32 [-1], output <c>y</c> FP32 [-1].</summary>
    public static string WriteModel(string folder, bool broken = false)
    {
        Directory.CreateDirectory(folder);
        var settings = new JsonObject();
        if (broken)
        {
            settings["broken"] = true;
        }

        var manifest = new ModelManifest
        {
            Flavors = { ["gated"] = settings },
            Signature = new ModelSignature([SignatureField.Tensor("x", "float32", -1)], [SignatureField.Tensor("y", "float32", -1)]),
        };
        File.WriteAllText(Path.Combine(folder, ModelManifest.FileName), manifest.ToJson());
        return folder;
    }

    private sealed class Model(GatedFlavor flavor, ModelManifest manifest) : ILoadedModel, IColumnPredictor
    {
        public ModelManifest Manifest { get; } = manifest;

        public string Flavor => "gated";

        public IReadOnlyDictionary<string, Array> Predict(IReadOnlyDictionary<string, Array> inputs)
        {
            var x = (float[])inputs["x"];
            if (flavor._gate is { } gate)
            {
                flavor.Entered.Release();
                if (!gate.Task.Wait(TimeSpan.FromSeconds(30)))
                {
                    throw new TimeoutException("the test never opened the gate");
                }
            }

            if (x.Any(float.IsNaN))
            {
                throw new ArgumentException("x holds NaN");
            }

            return new Dictionary<string, Array> { ["y"] = x.Select(v => v * 2).ToArray() };
        }

        public void Dispose() => Interlocked.Increment(ref flavor.Disposed);
    }
}
