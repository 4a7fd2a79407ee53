using System.Text.Json.Nodes;

namespace Mlops.Tracking.Models;

/// <summary>
/// A way to save and load one kind of model (MLflow's flavors): ML.NET here, TorchSharp in the training package.
/// Register flavors with <see cref="ModelFlavors"/>.
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

/// <summary>The flavors known to the process; the ML.NET flavor is registered by default.</summary>
public static class ModelFlavors
{
    private static readonly Lock s_lock = new();
    private static List<IModelFlavor> s_flavors = [new MLNet.MLNetFlavor()];

    /// <summary>The registered flavors, in registration order.</summary>
    public static IReadOnlyList<IModelFlavor> All
    {
        get
        {
            lock (s_lock)
            {
                return s_flavors;
            }
        }
    }

    /// <summary>Adds a flavor (replacing one of the same name).</summary>
    public static void Register(IModelFlavor flavor)
    {
        ArgumentNullException.ThrowIfNull(flavor);
        lock (s_lock)
        {
            s_flavors = [.. s_flavors.Where(f => f.Name != flavor.Name), flavor];
        }
    }

    /// <summary>The first flavor that can save the object.</summary>
    /// <exception cref="MlflowException">None can (INVALID_PARAMETER_VALUE), naming its type.</exception>
    public static IModelFlavor ForModel(object model) =>
        All.FirstOrDefault(f => f.CanSave(model)) ?? throw MlflowException.InvalidParameter(
            $"No model flavor can save an object of type {model.GetType().FullName}. Registered flavors: {string.Join(", ", All.Select(f => f.Name))}.");

    /// <summary>The first registered flavor the manifest lists.</summary>
    public static IModelFlavor ForManifest(ModelManifest manifest, string source) =>
        All.FirstOrDefault(f => manifest.Flavors.ContainsKey(f.Name)) ?? throw MlflowException.InvalidParameter(
            $"The model at {source} has flavors [{string.Join(", ", manifest.Flavors.Keys)}], none of which is registered here ({string.Join(", ", All.Select(f => f.Name))}).");
}
