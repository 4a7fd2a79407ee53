using System.Text.Json.Nodes;

namespace Mlops.Tracking.Models;

/// <summary>
/// Implemented by an <see cref="IModelFlavor"/> that puts more into the manifest than its own settings, as MLflow's
/// flavors do: other flavors that read the same files (MLflow's <c>python_function</c>, so that Python's
/// <c>mlflow.pyfunc.load_model</c> loads the model) and the signature the model declares itself.
/// <see cref="TrackingClient.LogModel"/> asks for both after the flavor has saved the model.
/// </summary>
public interface IModelManifestContributor
{
    /// <summary>Flavors besides this one that can load the saved files, by name; a name the manifest has already is skipped.</summary>
    /// <param name="settings">The settings this flavor's <see cref="IModelFlavor.SaveAsync"/> returned.</param>
    /// <returns>Flavor name → its settings.</returns>
    IReadOnlyDictionary<string, JsonObject> GetCompanionFlavors(JsonObject settings);

    /// <summary>The signature the model declares (an ONNX graph's inputs and outputs), used when the caller gives none.</summary>
    /// <param name="model">The model being logged.</param>
    /// <returns>The signature, or null if the model declares none.</returns>
    ModelSignature? GetDeclaredSignature(object model);
}
