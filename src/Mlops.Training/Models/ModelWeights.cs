using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>A copy of a model's trainable parameters (and batch-norm statistics), from <see cref="Model.GetWeights"/>.</summary>
public sealed class ModelWeights : IDisposable
{
    internal ModelWeights(Tensor parameters, Tensor? buffers)
    {
        Parameters = parameters;
        Buffers = buffers;
    }

    /// <summary>The parameters, back to back in <c>named_parameters</c> order.</summary>
    public Tensor Parameters { get; }

    /// <summary>The floating-point buffers (batch-norm running statistics), or null.</summary>
    public Tensor? Buffers { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Parameters.Dispose();
        Buffers?.Dispose();
    }
}
