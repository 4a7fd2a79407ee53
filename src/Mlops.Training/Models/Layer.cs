namespace Mlops.Training;

/// <summary>One step of a <see cref="Sequential"/> model, as written in <c>model.json</c>.</summary>
public abstract record Layer
{
    private protected Layer()
    {
    }

    /// <summary>The layer's kind as written in <c>model.json</c> (dense, dropout, batch_norm, embed, activation).</summary>
    public abstract string Kind { get; }
}

/// <summary>A fully connected layer <c>y = activation(x W^T + b)</c> (PyTorch <c>nn.Linear</c>, then the activation's module).</summary>
/// <param name="Units">Output features.</param>
/// <param name="Activation">The activation applied to the output.</param>
/// <param name="UseBias">Whether the layer adds a bias.</param>
public sealed record DenseLayer(int Units, Activation Activation, bool UseBias = true) : Layer
{
    /// <inheritdoc />
    public override string Kind => "dense";
}

/// <summary>An activation on its own (for example after a batch normalisation).</summary>
/// <param name="Activation">The activation.</param>
public sealed record ActivationLayer(Activation Activation) : Layer
{
    /// <inheritdoc />
    public override string Kind => "activation";
}

/// <summary>Zeroes each input with probability <paramref name="Rate"/> while training and scales the rest by 1/(1-rate); the identity otherwise.</summary>
/// <param name="Rate">The drop probability, in [0, 1).</param>
public sealed record DropoutLayer(double Rate) : Layer
{
    /// <inheritdoc />
    public override string Kind => "dropout";
}

/// <summary>
/// Batch normalisation over the features (PyTorch <c>nn.BatchNorm1d</c>). <paramref name="Momentum"/> is Keras'
/// (the weight of the old moving statistics: 0.99 by default); PyTorch's momentum is <c>1 - Momentum</c>.
/// </summary>
/// <param name="Momentum">Keras' momentum of the moving mean and variance, in [0, 1).</param>
/// <param name="Epsilon">Added to the variance before the square root.</param>
public sealed record BatchNormLayer(double Momentum = 0.99, double Epsilon = 1e-3) : Layer
{
    /// <inheritdoc />
    public override string Kind => "batch_norm";
}

/// <summary>
/// Every input column holds an integer id in [0, <paramref name="VocabularySize"/>) looked up in one shared table of
/// <paramref name="Dimension"/>-wide embeddings; the embeddings of an example's columns are concatenated (Keras'
/// <c>Embedding</c> followed by <c>Flatten</c>; PyTorch <c>nn.Embedding</c> then <c>nn.Flatten()</c>).
/// </summary>
/// <param name="VocabularySize">The number of ids (rows of the table).</param>
/// <param name="Dimension">The width of each embedding.</param>
public sealed record EmbeddingLayer(int VocabularySize, int Dimension) : Layer
{
    /// <inheritdoc />
    public override string Kind => "embedding";
}

/// <summary>
/// Feature column <paramref name="Column"/> of the input holds an integer id in [0, <paramref name="VocabularySize"/>)
/// that is looked up in a table of <paramref name="Dimension"/>-wide embeddings. All the embed layers of a model form
/// its first stage: their embeddings (in the order declared) followed by the remaining input columns (in input order)
/// make the vector the next layer sees.
/// </summary>
/// <param name="Column">The 0-based input column holding the id.</param>
/// <param name="VocabularySize">The number of ids (rows of the table).</param>
/// <param name="Dimension">The width of each embedding.</param>
public sealed record EmbedLayer(int Column, int VocabularySize, int Dimension) : Layer
{
    /// <inheritdoc />
    public override string Kind => "embed";
}
