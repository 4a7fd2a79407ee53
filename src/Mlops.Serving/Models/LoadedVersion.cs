using Mlops.Serving.Inference;
using Mlops.Tracking.Models;

namespace Mlops.Serving.Models;

/// <summary>One loaded version of a served model: the flavor's model, its schema, and what serving needs to know of it.</summary>
internal sealed class LoadedVersion : IDisposable
{
    public LoadedVersion(string name, string? version, ILoadedModel model, long memoryBytes)
    {
        Name = name;
        Version = version;
        Model = model;
        Predictor = model as IColumnPredictor ?? throw new NotSupportedException(
            $"The {model.Flavor} model is a {model.GetType().FullName}, which does not predict on columns ({nameof(IColumnPredictor)}), so it cannot be served.");
        Schema = new ModelSchema(name, SignatureTensors.Inputs(model.Manifest), SignatureTensors.Outputs(model.Manifest));
        Platform = PlatformOf(model.Flavor);
        IsThreadSafe = ThreadSafeFlavors.Contains(model.Flavor);
        MemoryBytes = memoryBytes;
    }

    /// <summary>The served model's name.</summary>
    public string Name { get; }

    /// <summary>The registry version, or null for a run or folder.</summary>
    public string? Version { get; }

    /// <summary>The flavor's loaded model.</summary>
    public ILoadedModel Model { get; }

    /// <summary>Its column predictor.</summary>
    public IColumnPredictor Predictor { get; }

    /// <summary>Its inputs and outputs.</summary>
    public ModelSchema Schema { get; }

    /// <summary>The protocol's platform name.</summary>
    public string Platform { get; }

    /// <summary>Whether several forward passes may run at once on this model.</summary>
    public bool IsThreadSafe { get; }

    /// <summary>How much the process's resident memory (working set) grew during the load: approximate, as other allocations can overlap.</summary>
    public long MemoryBytes { get; }

    /// <summary>The metadata the protocol reports.</summary>
    public ModelMetadata Metadata(string name) =>
        new(name, Version is null ? [] : [Version], Platform, Schema.Inputs ?? [], Schema.Outputs ?? []);

    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();

    // ML.NET transformers are immutable and Predict builds a new data view per call; ONNX Runtime's session Run is
    // documented thread-safe. TorchSharp's predictor toggles the module's train/eval mode per call, so it runs alone.
    private static readonly HashSet<string> ThreadSafeFlavors = new(StringComparer.Ordinal) { "mlnet", "onnx" };

    private static string PlatformOf(string flavor) => flavor switch
    {
        "onnx" => "onnxruntime_onnx",
        _ => flavor,
    };
}
