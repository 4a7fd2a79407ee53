using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// An element-wise (or, for softmax, row-wise) activation applied after a layer, named as in Keras. Each maps to the
/// PyTorch module of the same function (<c>nn.ReLU</c>, <c>nn.Sigmoid</c>, ...), which carries no weights.
/// </summary>
public sealed record Activation
{
    private Activation(string name, double negativeSlope = 0)
    {
        Name = name;
        NegativeSlope = negativeSlope;
    }

    /// <summary>No activation (the identity), Keras' <c>"linear"</c>.</summary>
    public static Activation Linear { get; } = new("linear");

    /// <summary><c>max(x, 0)</c>.</summary>
    public static Activation Relu { get; } = new("relu");

    /// <summary><c>1 / (1 + exp(-x))</c>.</summary>
    public static Activation Sigmoid { get; } = new("sigmoid");

    /// <summary>The hyperbolic tangent.</summary>
    public static Activation Tanh { get; } = new("tanh");

    /// <summary>Softmax over the features of each example (the last dimension).</summary>
    public static Activation Softmax { get; } = new("softmax");

    /// <summary>The Gaussian error linear unit (exact form, as Keras' default and PyTorch's <c>nn.GELU()</c>).</summary>
    public static Activation Gelu { get; } = new("gelu");

    /// <summary>Leaky ReLU with Keras 3's default negative slope 0.2.</summary>
    public static Activation LeakyRelu { get; } = new("leaky_relu", 0.2);

    /// <summary>The activation's Keras name: linear, relu, sigmoid, tanh, softmax, gelu or leaky_relu.</summary>
    public string Name { get; }

    /// <summary>The slope for negative inputs of leaky ReLU (0 for the others).</summary>
    public double NegativeSlope { get; }

    /// <summary>Leaky ReLU with the given slope for negative inputs.</summary>
    /// <param name="negativeSlope">The slope, at least 0 (PyTorch's default is 0.01, Keras 3's 0.2).</param>
    /// <returns>The activation.</returns>
    public static Activation Leaky(double negativeSlope)
    {
        if (!(negativeSlope >= 0) || double.IsInfinity(negativeSlope))
        {
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope, "The negative slope of leaky ReLU must be a finite number >= 0.");
        }

        return new Activation("leaky_relu", negativeSlope);
    }

    /// <summary>Finds an activation by its Keras name (as written in <c>model.json</c>).</summary>
    /// <param name="name">linear, relu, sigmoid, tanh, softmax, gelu or leaky_relu.</param>
    /// <param name="negativeSlope">The slope of leaky_relu (ignored by the others).</param>
    /// <returns>The activation.</returns>
    public static Activation FromName(string name, double negativeSlope = 0.2) => name switch
    {
        "linear" => Linear,
        "relu" => Relu,
        "sigmoid" => Sigmoid,
        "tanh" => Tanh,
        "softmax" => Softmax,
        "gelu" => Gelu,
        "leaky_relu" => Leaky(negativeSlope),
        _ => throw new ArgumentException($"Unknown activation '{name}'; known: linear, relu, sigmoid, tanh, softmax, gelu, leaky_relu.", nameof(name)),
    };

    /// <inheritdoc />
    public override string ToString() => Name == "leaky_relu" ? $"leaky_relu({NegativeSlope})" : Name;

    /// <summary>The PyTorch module computing this activation, or null for linear.</summary>
    internal nn.Module<Tensor, Tensor>? CreateModule() => Name switch
    {
        "linear" => null,
        "relu" => nn.ReLU(),
        "sigmoid" => nn.Sigmoid(),
        "tanh" => nn.Tanh(),
        "softmax" => nn.Softmax(-1),
        "gelu" => nn.GELU(),
        "leaky_relu" => nn.LeakyReLU(NegativeSlope),
        _ => throw new InvalidOperationException($"Unknown activation '{Name}'."),
    };
}
