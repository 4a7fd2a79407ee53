using System.Text.Json.Nodes;
using Microsoft.ML;
using Mlops.Tracking;
using Mlops.Tracking.Models;

namespace Mlops.MLNet;

/// <summary>An ML.NET model to log: the fitted transformer and the schema of the data it was fitted on.</summary>
/// <param name="Transformer">The fitted model (a pipeline's <see cref="ITransformer"/>).</param>
/// <param name="InputSchema">The schema of its input data.</param>
public sealed record MLNetModel(ITransformer Transformer, DataViewSchema InputSchema);

/// <summary>The ML.NET flavor (<c>mlnet</c>): saves a <see cref="MLNetModel"/> as ML.NET's model zip and loads it back as a predictor.</summary>
public sealed class MLNetFlavor : IModelFlavor
{
    /// <summary>The flavor's name in manifests.</summary>
    public const string FlavorName = "mlnet";

    private const string ModelFile = "model.zip";

    /// <inheritdoc/>
    public string Name => FlavorName;

    /// <inheritdoc/>
    public bool CanSave(object model) => model is MLNetModel;

    /// <inheritdoc/>
    public Task<JsonObject> SaveAsync(object model, string directory, CancellationToken cancellationToken = default)
    {
        var mlnet = model as MLNetModel ?? throw new ArgumentException($"The ML.NET flavor saves {nameof(MLNetModel)}, not {model.GetType().Name}.", nameof(model));
        Directory.CreateDirectory(directory);
        new MLContext().Model.Save(mlnet.Transformer, mlnet.InputSchema, Path.Combine(directory, ModelFile));
        var settings = new JsonObject
        {
            ["model_file"] = ModelFile,
            ["mlnet_version"] = typeof(MLContext).Assembly.GetName().Version?.ToString(),
        };
        return Task.FromResult(settings);
    }

    /// <inheritdoc/>
    public Task<ILoadedModel> LoadAsync(string directory, ModelManifest manifest, CancellationToken cancellationToken = default)
    {
        var file = manifest.Flavors.TryGetValue(FlavorName, out var settings) ? settings["model_file"]?.GetValue<string>() ?? ModelFile : ModelFile;
        var path = Path.Combine(directory, file);
        if (!File.Exists(path))
        {
            throw new MlflowException(MlflowErrorCodes.ResourceDoesNotExist, $"The ML.NET model file '{file}' is missing from {directory}.");
        }

        var context = new MLContext();
        var transformer = context.Model.Load(path, out var inputSchema);
        return Task.FromResult<ILoadedModel>(new LoadedMLNetModel(context, transformer, inputSchema, manifest));
    }
}

/// <summary>A loaded ML.NET model: transform data views, or predict on column arrays.</summary>
public sealed class LoadedMLNetModel : ILoadedModel, IColumnPredictor
{
    private readonly MLContext _context;

    internal LoadedMLNetModel(MLContext context, ITransformer transformer, DataViewSchema inputSchema, ModelManifest manifest)
    {
        _context = context;
        Transformer = transformer;
        InputSchema = inputSchema;
        Manifest = manifest;
    }

    /// <summary>The fitted transformer.</summary>
    public ITransformer Transformer { get; }

    /// <summary>The schema the model was saved with.</summary>
    public DataViewSchema InputSchema { get; }

    /// <inheritdoc/>
    public ModelManifest Manifest { get; }

    /// <inheritdoc/>
    public string Flavor => MLNetFlavor.FlavorName;

    /// <summary>Applies the model to a data view (lazily, as ML.NET does).</summary>
    public IDataView Transform(IDataView input) => Transformer.Transform(input);

    /// <summary>A typed prediction engine, for row-at-a-time use (not thread-safe; one per thread).</summary>
    public PredictionEngine<TInput, TOutput> CreatePredictionEngine<TInput, TOutput>()
        where TInput : class
        where TOutput : class, new() => _context.Model.CreatePredictionEngine<TInput, TOutput>(Transformer, InputSchema);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Array> Predict(IReadOnlyDictionary<string, Array> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var output = Transformer.Transform(new ColumnsDataView(inputs));

        // The outputs are the columns the model added or replaced. ML.NET keeps the input columns first and appends
        // new ones (hiding a replaced input), so a visible column whose index is an input's was passed through unchanged.
        var passedThrough = inputs.Keys
            .Where(name => output.Schema.GetColumnOrNull(name) is { } column && column.Index < inputs.Count)
            .ToHashSet(StringComparer.Ordinal);
        return DataViewColumns.Read(output, passedThrough);
    }

    /// <inheritdoc/>
    public void Dispose() => (Transformer as IDisposable)?.Dispose();
}
