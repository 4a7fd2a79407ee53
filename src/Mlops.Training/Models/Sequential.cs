using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// A Keras-like description of a stack of layers, built fluently from <see cref="Input"/>:
/// <code>
/// var model = Sequential.Input(10)
///     .Dense(64, Activation.Relu).Dense(64, Activation.Relu).Dense(1, Activation.Sigmoid)
///     .Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy, Metric.Accuracy);
/// </code>
/// Each method returns a new description (the builder is immutable); <see cref="Build"/> or <see cref="Compile"/>
/// makes the <see cref="Model"/>, on the device of the strategy scope it is called in (CPU outside any scope).
/// </summary>
public sealed class Sequential
{
    private readonly ImmutableArray<Layer> _layers;

    private Sequential(int inputWidth, ScalarType elementType, ImmutableArray<Layer> layers, int outputWidth)
    {
        InputWidth = inputWidth;
        ElementType = elementType;
        _layers = layers;
        OutputWidth = outputWidth;
    }

    /// <summary>The width of each input feature vector.</summary>
    public int InputWidth { get; }

    /// <summary>The floating type of parameters and inputs (float32 or float64).</summary>
    public ScalarType ElementType { get; }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>The width of the output after the last layer.</summary>
    public int OutputWidth { get; }

    /// <summary>Starts a model whose inputs are vectors of <paramref name="width"/> values.</summary>
    /// <param name="width">Feature values per example, at least 1.</param>
    /// <param name="elementType">Float32 (default) or Float64.</param>
    /// <returns>A model description with no layers yet.</returns>
    public static Sequential Input(int width, ScalarType elementType = ScalarType.Float32)
    {
        if (width < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "The input width must be at least 1.");
        }

        if (elementType is not (ScalarType.Float32 or ScalarType.Float64))
        {
            throw new ArgumentException($"The element type must be Float32 or Float64, not {elementType}.", nameof(elementType));
        }

        return new Sequential(width, elementType, [], width);
    }

    /// <summary>Adds a fully connected layer (Keras <c>Dense</c>: glorot-uniform weights, zero bias).</summary>
    /// <param name="units">Output features, at least 1.</param>
    /// <param name="activation">The activation; null is linear.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <returns>The extended description.</returns>
    public Sequential Dense(int units, Activation? activation = null, bool useBias = true)
    {
        if (units < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(units), units, $"Layer {Layers.Count} (dense): units must be at least 1.");
        }

        return Add(new DenseLayer(units, activation ?? Activation.Linear, useBias), units);
    }

    /// <summary>Adds an activation on its own.</summary>
    /// <param name="activation">The activation.</param>
    /// <returns>The extended description.</returns>
    public Sequential Activate(Activation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        return Add(new ActivationLayer(activation), OutputWidth);
    }

    /// <summary>Adds dropout: while training each value is zeroed with probability <paramref name="rate"/>.</summary>
    /// <param name="rate">The drop probability, in [0, 1).</param>
    /// <returns>The extended description.</returns>
    public Sequential Dropout(double rate)
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"Layer {Layers.Count} (dropout): the rate must be in [0, 1).");
        }

        return Add(new DropoutLayer(rate), OutputWidth);
    }

    /// <summary>Adds batch normalisation over the current features (Keras defaults: momentum 0.99, epsilon 0.001).</summary>
    /// <param name="momentum">Keras' momentum of the moving statistics, in [0, 1).</param>
    /// <param name="epsilon">Added to the variance, &gt; 0.</param>
    /// <returns>The extended description.</returns>
    public Sequential BatchNorm(double momentum = 0.99, double epsilon = 1e-3)
    {
        if (!(momentum >= 0 && momentum < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"Layer {Layers.Count} (batch_norm): the momentum must be in [0, 1).");
        }

        if (!(epsilon > 0) || double.IsInfinity(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"Layer {Layers.Count} (batch_norm): epsilon must be a finite number > 0.");
        }

        return Add(new BatchNormLayer(momentum, epsilon), OutputWidth);
    }

    /// <summary>
    /// Treats every input column as an integer id into one shared table of <paramref name="dimension"/>-wide
    /// embeddings and feeds their concatenation (width × dimension values) to the next layer, as Keras' <c>Embedding</c>
    /// followed by <c>Flatten</c>. Comes right after <see cref="Input"/>; ids are checked on every batch like
    /// <see cref="Embed"/>'s. To embed some columns and keep others as they are, use <see cref="Embed"/>.
    /// </summary>
    /// <param name="vocabularySize">The number of distinct ids, at least 1.</param>
    /// <param name="dimension">The width of each embedding, at least 1.</param>
    /// <returns>The extended description.</returns>
    public Sequential Embedding(int vocabularySize, int dimension)
    {
        if (Layers.Count > 0)
        {
            throw new InvalidOperationException("Embedding must come right after Input (it turns the input's ids into vectors); to embed only some columns use Embed.");
        }

        if (vocabularySize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "Embedding: the vocabulary size must be at least 1.");
        }

        if (dimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Embedding: the dimension must be at least 1.");
        }

        return Add(new EmbeddingLayer(vocabularySize, dimension), InputWidth * dimension);
    }

    /// <summary>
    /// Looks up input column <paramref name="column"/> (an integer id) in an embedding table and feeds the embedding,
    /// instead of the raw id, to the next layer. Embed layers come right after <see cref="Input"/>; the vector the next
    /// layer sees is the embeddings (in the order declared) followed by the input's other columns (in input order).
    /// Ids are checked on every batch: one outside [0, <paramref name="vocabularySize"/>) or not an integer is an
    /// error naming the column, the id and the batch.
    /// </summary>
    /// <param name="column">The 0-based input column holding the id.</param>
    /// <param name="vocabularySize">The number of distinct ids, at least 1.</param>
    /// <param name="dimension">The width of each embedding, at least 1.</param>
    /// <returns>The extended description.</returns>
    public Sequential Embed(int column, int vocabularySize, int dimension)
    {
        if (Layers.Any(layer => layer is not EmbedLayer))
        {
            throw new InvalidOperationException($"Embed(column: {column}) must come right after Input (and not with Embedding): embeddings replace input columns, so they precede every other layer.");
        }

        if (column < 0 || column >= InputWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(column), column, $"The embedded column must be an input column, 0 to {InputWidth - 1}.");
        }

        if (Layers.OfType<EmbedLayer>().Any(layer => layer.Column == column))
        {
            throw new ArgumentException($"Input column {column} is already embedded.", nameof(column));
        }

        if (vocabularySize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, $"Embed(column: {column}): the vocabulary size must be at least 1.");
        }

        if (dimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"Embed(column: {column}): the dimension must be at least 1.");
        }

        return Add(new EmbedLayer(column, vocabularySize, dimension), OutputWidth - 1 + dimension);
    }

    /// <summary>Makes the model (parameters initialised as Keras does) without compiling it, for example to only predict.</summary>
    /// <param name="seed">Seeds the initial weights; null draws them from TorchSharp's global generator.</param>
    /// <returns>The model, on the device of the current strategy scope (CPU outside any scope).</returns>
    public Model Build(long? seed = null)
    {
        if (Layers.Count == 0)
        {
            throw new InvalidOperationException("The model has no layers: add at least one (for example Dense) after Input.");
        }

        return Model.FromSequential(this, seed);
    }

    /// <summary>Makes the model and compiles it (<see cref="Build"/> then <see cref="Model.Compile"/>).</summary>
    /// <param name="optimizer">The optimizer (one instance per model).</param>
    /// <param name="loss">The loss to minimise.</param>
    /// <param name="metrics">Metrics reported besides the loss.</param>
    /// <returns>The compiled model.</returns>
    public Model Compile(Optimizer optimizer, Loss loss, params Metric[] metrics) => Build().Compile(optimizer, loss, metrics);

    /// <summary>Rebuilds a description from its parts (as read from <c>model.json</c>), validating each layer.</summary>
    internal static Sequential FromLayers(int inputWidth, ScalarType elementType, IEnumerable<Layer> layers)
    {
        var model = Input(inputWidth, elementType);
        foreach (var layer in layers)
        {
            model = layer switch
            {
                DenseLayer dense => model.Dense(dense.Units, dense.Activation, dense.UseBias),
                ActivationLayer activation => model.Activate(activation.Activation),
                DropoutLayer dropout => model.Dropout(dropout.Rate),
                BatchNormLayer norm => model.BatchNorm(norm.Momentum, norm.Epsilon),
                EmbedLayer embed => model.Embed(embed.Column, embed.VocabularySize, embed.Dimension),
                EmbeddingLayer embedding => model.Embedding(embedding.VocabularySize, embedding.Dimension),
                _ => throw new ArgumentException($"Unknown layer {layer}."),
            };
        }

        return model;
    }

    private Sequential Add(Layer layer, int outputWidth) => new(InputWidth, ElementType, _layers.Add(layer), outputWidth);
}
