using System.Text.Json.Nodes;
using Mlops.Tracking;
using Mlops.Tracking.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tracking;

/// <summary>
/// The TorchSharp flavor (<c>torchsharp</c>) of Mlops.Tracking: logs a trained <see cref="Model"/> as its
/// <c>model.json</c> (architecture, element type, compile settings) and <c>model.safetensors</c> (weights, PyTorch
/// <c>nn.Sequential</c> state_dict names) and loads it back as a predictor. A tracking client uses it once it is in its
/// <see cref="TrackingClient.Flavors"/>: <c>.AddTorchSharpFlavor()</c> on the host's Mlops builder, or
/// <c>client.Flavors.Add(new TorchSharpModelFlavor())</c> without a host (<see cref="TrackingCallback"/> adds it to its
/// client when it logs the model).
/// </summary>
public sealed class TorchSharpModelFlavor : IModelFlavor
{
    /// <summary>The flavor's name in manifests.</summary>
    public const string FlavorName = "torchsharp";

    /// <inheritdoc/>
    public string Name => FlavorName;

    /// <inheritdoc/>
    public bool CanSave(object model) => model is Model;

    /// <inheritdoc/>
    /// <remarks>Saves synchronously on the calling thread (<see cref="Model.Save"/> has no async form) and returns a completed task.</remarks>
    public Task<JsonObject> SaveAsync(object model, string directory, CancellationToken cancellationToken = default)
    {
        var trained = model as Model ?? throw new ArgumentException($"The TorchSharp flavor saves {typeof(Model).FullName}, not {model.GetType().FullName}.", nameof(model));
        cancellationToken.ThrowIfCancellationRequested();
        trained.Save(directory);
        return Task.FromResult(new JsonObject
        {
            ["model_json"] = "model.json",
            ["weights"] = "model.safetensors",
            ["weights_format"] = "safetensors",
            ["input_width"] = trained.InputWidth,
            ["output_width"] = trained.OutputWidth,
            ["element_type"] = trained.ElementType.ToString().ToLowerInvariant(),
            ["torchsharp_version"] = typeof(torch).Assembly.GetName().Version?.ToString(),
            ["libtorch_version"] = torch.__version__,
        });
    }

    /// <inheritdoc/>
    /// <remarks>Loads synchronously on the calling thread (<see cref="Model.Load"/> has no async form) and returns a completed task.</remarks>
    public Task<ILoadedModel> LoadAsync(string directory, ModelManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!File.Exists(Path.Combine(directory, "model.json")))
        {
            throw new MlflowException(MlflowErrorCodes.ResourceDoesNotExist, $"The TorchSharp model file 'model.json' is missing from {directory}.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<ILoadedModel>(new LoadedTorchSharpModel(Model.Load(directory), manifest));
    }
}

/// <summary>A TorchSharp model loaded from a tracking store: the <see cref="Model"/>, or predictions on column arrays.</summary>
public sealed class LoadedTorchSharpModel : ILoadedModel, IColumnPredictor
{
    internal LoadedTorchSharpModel(Model model, ModelManifest manifest)
    {
        Model = model;
        Manifest = manifest;
    }

    /// <summary>The loaded model.</summary>
    public Model Model { get; }

    /// <inheritdoc/>
    public ModelManifest Manifest { get; }

    /// <inheritdoc/>
    public string Flavor => TorchSharpModelFlavor.FlavorName;

    /// <summary>
    /// Predicts from one input column: a vector column (<c>float[][]</c> or <c>double[][]</c>, one vector of the model's
    /// input width per row). Returns <c>prediction</c>: a <c>float[]</c> when the model has one output, else <c>float[][]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Not exactly one input column, an unsupported column type, or a row of the wrong width (naming the row).</exception>
    public IReadOnlyDictionary<string, Array> Predict(IReadOnlyDictionary<string, Array> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count != 1)
        {
            throw new ArgumentException($"The TorchSharp model takes one vector column ({Model.InputWidth} values per row); got {inputs.Count} columns: {string.Join(", ", inputs.Keys)}.", nameof(inputs));
        }

        var (name, column) = inputs.First();
        var rows = column switch
        {
            float[][] f => f,
            double[][] d => d.Select(r => Array.ConvertAll(r, v => (float)v)).ToArray(),
            _ => throw new ArgumentException($"Column '{name}' is {column.GetType().Name}; the TorchSharp model takes float[][] or double[][] (one vector per row).", nameof(inputs)),
        };
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i] is null || rows[i].Length != Model.InputWidth)
            {
                throw new ArgumentException($"Column '{name}', row {i}: the model takes {Model.InputWidth} values per row; got {rows[i]?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}.", nameof(inputs));
            }
        }

        var predictions = Model.Predict(rows);
        Array output = Model.OutputWidth == 1 ? predictions.Select(p => p[0]).ToArray() : predictions;
        return new Dictionary<string, Array>(StringComparer.Ordinal) { ["prediction"] = output };
    }

    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();
}
