using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Mlops.Tracking;
using Mlops.Tracking.Models;

namespace Mlops.Onnx;

/// <summary>
/// The ONNX flavor (<c>onnx</c>) of Mlops.Tracking, in MLflow's layout: a model folder holding <c>model.onnx</c> and an
/// <c>MLmodel</c> whose <c>flavors.onnx</c> has <c>onnx_version</c>, <c>data</c>, <c>providers</c>,
/// <c>onnx_session_options</c> and <c>code</c>, beside a <c>python_function</c> flavor with <c>loader_module:
/// mlflow.onnx</c>. So Python's <c>mlflow.onnx.load_model</c> and <c>mlflow.pyfunc.load_model</c> load what this logs,
/// and this loads what Python's <c>mlflow.onnx.log_model</c> wrote (external data files next to the model included),
/// honouring its providers and session options. Logs <see cref="OnnxModel"/>s (with the graph's tensor-spec signature
/// when none is given); loads a <see cref="LoadedOnnxModel"/>. Add it with <c>.AddOnnxFlavor()</c> on the host's Mlops
/// builder, or <c>client.Flavors.Add(new OnnxModelFlavor())</c> without a host.
/// </summary>
public sealed class OnnxModelFlavor : IModelFlavor, IModelManifestContributor
{
    /// <summary>The flavor's name in manifests.</summary>
    public const string FlavorName = "onnx";

    /// <summary>The model file's name in the model folder, as MLflow names it.</summary>
    public const string ModelFileName = "model.onnx";

    /// <inheritdoc/>
    public string Name => FlavorName;

    /// <inheritdoc/>
    public bool CanSave(object model) => model is OnnxModel;

    /// <inheritdoc/>
    /// <remarks>
    /// <c>onnx_version</c> is null: MLflow records the version of Python's <c>onnx</c> package that wrote the file,
    /// which does not exist here (no loader reads it); the file's IR and opset versions are inside it.
    /// </remarks>
    public async Task<JsonObject> SaveAsync(object model, string directory, CancellationToken cancellationToken = default)
    {
        var onnx = model as OnnxModel ?? throw new ArgumentException($"The ONNX flavor saves {typeof(OnnxModel).FullName}, not {model?.GetType().FullName ?? "null"}.", nameof(model));
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, ModelFileName), onnx.RawBytes, cancellationToken).ConfigureAwait(false);
        return new JsonObject
        {
            ["onnx_version"] = null,
            ["data"] = ModelFileName,
            ["providers"] = new JsonArray(onnx.Providers.Select(p => (JsonNode)p).ToArray()),
            ["onnx_session_options"] = null,
            ["code"] = null,
        };
    }

    /// <inheritdoc/>
    /// <remarks>Creates the session synchronously on the calling thread (ONNX Runtime has no async load) and returns a completed task.</remarks>
    /// <exception cref="MlflowException">The manifest has no onnx flavor, its <c>data</c> is missing or leaves the folder, or a provider or session option is malformed.</exception>
    /// <exception cref="DataFormatException">ONNX Runtime cannot load the file (naming it).</exception>
    public Task<ILoadedModel> LoadAsync(string directory, ModelManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(manifest);
        cancellationToken.ThrowIfCancellationRequested();
        if (!manifest.Flavors.TryGetValue(FlavorName, out var settings))
        {
            throw MlflowException.InvalidParameter($"The model at {directory} has no '{FlavorName}' flavor (flavors: {string.Join(", ", manifest.Flavors.Keys)}).");
        }

        var data = settings["data"] is JsonValue value && value.TryGetValue<string>(out var name) && name.Length > 0
            ? name
            : throw MlflowException.InvalidParameter($"The onnx flavor of {directory} has no 'data' (the model file, such as {ModelFileName}).");
        var root = Path.GetFullPath(directory);
        var path = Path.GetFullPath(Path.Combine(root, data));
        if (!path.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw MlflowException.InvalidParameter($"The onnx flavor's data '{data}' points outside the model folder {directory}.");
        }

        if (!File.Exists(path))
        {
            throw MlflowException.NotFound($"The ONNX model file '{data}' is missing from {directory}.");
        }

        var (options, providers) = OnnxSessionSettings.Create(settings, directory);
        try
        {
            // From the path, not bytes: ONNX Runtime then finds external data files (Python's save_as_external_data) beside it.
            var session = new InferenceSession(path, options);
            return Task.FromResult<ILoadedModel>(new LoadedOnnxModel(session, options, providers, manifest));
        }
        catch (OnnxRuntimeException e)
        {
            options.Dispose();
            throw new DataFormatException($"ONNX Runtime cannot load the model: {e.Message}", path, innerException: e);
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    /// <summary>The <c>python_function</c> flavor MLflow writes beside <c>onnx</c>, so <c>mlflow.pyfunc.load_model</c> loads the model.</summary>
    /// <param name="settings">The onnx flavor's settings from <see cref="SaveAsync"/>.</param>
    /// <returns><c>python_function</c> → <c>{loader_module: mlflow.onnx, data, code}</c>.</returns>
    public IReadOnlyDictionary<string, JsonObject> GetCompanionFlavors(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new Dictionary<string, JsonObject>(StringComparer.Ordinal)
        {
            ["python_function"] = new JsonObject
            {
                ["loader_module"] = "mlflow.onnx",
                ["data"] = settings["data"]?.DeepClone() ?? ModelFileName,
                ["code"] = null,
            },
        };
    }

    /// <summary>The graph's tensor-spec signature (<see cref="OnnxModel.Signature"/>), written when <c>LogModel</c> is given none.</summary>
    /// <param name="model">The <see cref="OnnxModel"/> being logged.</param>
    /// <returns>The signature, or null for another object.</returns>
    public ModelSignature? GetDeclaredSignature(object model) => (model as OnnxModel)?.Signature;
}
