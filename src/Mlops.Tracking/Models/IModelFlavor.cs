using System.Text.Json.Nodes;

namespace Mlops.Tracking.Models;

/// <summary>
/// A way to save and load one kind of model (MLflow's flavors): ML.NET in Mlops.MLNet, TorchSharp in
/// Mlops.Training.Tracking. A <see cref="TrackingClient"/> logs and loads with the flavors of its
/// <see cref="TrackingClient.Flavors"/> registry.
/// </summary>
public interface IModelFlavor
{
    /// <summary>The flavor's name in the manifest, such as <c>mlnet</c>.</summary>
    string Name { get; }

    /// <summary>True if this flavor can save the object.</summary>
    bool CanSave(object model);

    /// <summary>Saves the model's files into a folder; returns the flavor's settings for the manifest.</summary>
    Task<JsonObject> SaveAsync(object model, string directory, CancellationToken cancellationToken = default);

    /// <summary>Loads a model saved by <see cref="SaveAsync"/> from a folder holding its files and manifest.</summary>
    Task<ILoadedModel> LoadAsync(string directory, ModelManifest manifest, CancellationToken cancellationToken = default);
}

/// <summary>A model loaded from a manifest and its files.</summary>
public interface ILoadedModel : IDisposable
{
    /// <summary>The manifest it was loaded from.</summary>
    ModelManifest Manifest { get; }

    /// <summary>The flavor that loaded it.</summary>
    string Flavor { get; }
}

/// <summary>
/// A model that predicts on columns: each input is an array with one element per row (<c>float[]</c>, <c>double[]</c>,
/// <c>int[]</c>, <c>long[]</c>, <c>bool[]</c>, <c>string[]</c>, or <c>float[][]</c> for a vector column); outputs come
/// back the same way.
/// </summary>
public interface IColumnPredictor
{
    /// <summary>Predicts for every row of the input columns.</summary>
    IReadOnlyDictionary<string, Array> Predict(IReadOnlyDictionary<string, Array> inputs);
}
