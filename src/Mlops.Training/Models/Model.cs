using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Training.Distributed;
using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// A trainable model: a TorchSharp module with its parameters in flat buffers, compiled with an optimizer, a loss and
/// metrics, trained with Keras' <c>Fit</c>/<c>Evaluate</c>/<c>Predict</c>. A model built inside a strategy's scope
/// trains with that strategy's replicas (on its device); built outside any scope it trains alone on the CPU.
/// Make one with <see cref="Sequential"/> or <see cref="FromModule"/>; save it with <c>Save</c>.
/// </summary>
public sealed partial class Model : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _module;
    private readonly EmbedLayer[] _embeds;
    private Loss? _loss;
    private Optimizer? _optimizer;
    private Metric[] _metrics = [];
    private bool _disposed;

    private Model(nn.Module<Tensor, Tensor> module, Sequential? description, int inputWidth, ScalarType elementType, IReplicaContext context)
    {
        _module = module;
        Description = description;
        InputWidth = inputWidth;
        ElementType = elementType;
        Context = context;
        // An Embedding layer makes every input column an id: checked like an Embed of each column.
        _embeds = description?.Layers.OfType<EmbeddingLayer>().FirstOrDefault() is { } shared
            ? Enumerable.Range(0, inputWidth).Select(column => new EmbedLayer(column, shared.VocabularySize, shared.Dimension)).ToArray()
            : description?.Layers.OfType<EmbedLayer>().ToArray() ?? [];
        Flat = new FlatParameters(module, context.Device, elementType);
        OutputWidth = description?.OutputWidth ?? ProbeOutputWidth(module, inputWidth, elementType, context.Device);
    }

    /// <summary>The width of each input feature vector.</summary>
    public int InputWidth { get; }

    /// <summary>The width of each output.</summary>
    public int OutputWidth { get; }

    /// <summary>The floating type of parameters, inputs and outputs.</summary>
    public ScalarType ElementType { get; }

    /// <summary>The device the model lives and trains on.</summary>
    public Device Device => Context.Device;

    /// <summary>The layers, for a model built with <see cref="Sequential"/>; null for <see cref="FromModule"/>.</summary>
    public Sequential? Description { get; }

    /// <summary>The TorchSharp module. Its trainable parameters are views of the model's flat buffer: do not move or
    /// convert the module itself (build the model on the wanted device and element type instead).</summary>
    public nn.Module<Tensor, Tensor> Module => _module;

    /// <summary>The number of trainable parameter values.</summary>
    public long ParameterCount => Flat.Count;

    /// <summary>The optimizer given to <see cref="Compile"/>, or null before.</summary>
    public Optimizer? Optimizer => _optimizer;

    /// <summary>The loss given to <see cref="Compile"/>, or null before.</summary>
    public Loss? Loss => _loss;

    /// <summary>The metrics, resolved against the model (Keras' "accuracy" becomes the fitting accuracy).</summary>
    public IReadOnlyList<Metric> Metrics => _metrics;

    /// <summary>Whether this process writes the model, checkpoints and progress (rank 0 of the strategy, or alone).</summary>
    public bool IsChief => Context.IsChief;

    /// <summary>Replicas training in sync (1 outside a strategy).</summary>
    public int NumReplicas => Context.NumReplicas;

    /// <summary>Set by a callback to end <see cref="Fit"/> after the current batch (as Keras' <c>model.stop_training</c>).</summary>
    public bool StopTraining { get; set; }

    /// <summary>Where warnings (such as running out of data) are logged; none by default.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>The replicas the model trains with.</summary>
    internal IReplicaContext Context { get; }

    /// <summary>The flat parameter and gradient buffers.</summary>
    internal FlatParameters Flat { get; }

    /// <summary>The embedded input columns (empty for most models).</summary>
    internal IReadOnlyList<EmbedLayer> Embeds => _embeds;

    /// <summary>
    /// Wraps any TorchSharp module taking [n, <paramref name="inputWidth"/>] inputs. The module is moved to the device
    /// of the current strategy scope (CPU outside any scope) and converted to <paramref name="elementType"/>; its
    /// trainable parameters then become views of the model's flat buffer. <c>Save</c> writes its weights and a
    /// marker; <c>Load</c> needs a factory that makes the same module.
    /// </summary>
    /// <param name="module">The module; the model owns it from now on (disposing the model disposes it).</param>
    /// <param name="inputWidth">The width of each input vector.</param>
    /// <param name="elementType">Float32 (default) or Float64.</param>
    /// <returns>The model.</returns>
    public static Model FromModule(nn.Module<Tensor, Tensor> module, int inputWidth, ScalarType elementType = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (inputWidth < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(inputWidth), inputWidth, "The input width must be at least 1.");
        }

        if (elementType is not (ScalarType.Float32 or ScalarType.Float64))
        {
            throw new ArgumentException($"The element type must be Float32 or Float64, not {elementType}.", nameof(elementType));
        }

        TorchRuntime.EnsureInitialized();
        var context = CurrentContext();
        module.to(context.Device).to(elementType);
        return new Model(module, null, inputWidth, elementType, context);
    }

    /// <summary>Sets the optimizer, loss and metrics (as Keras' <c>compile</c>); may be called again to change them.</summary>
    /// <param name="optimizer">The optimizer (one instance per model).</param>
    /// <param name="loss">The loss to minimise.</param>
    /// <param name="metrics">Metrics reported besides the loss.</param>
    /// <returns>This model.</returns>
    public Model Compile(Optimizer optimizer, Loss loss, params Metric[] metrics)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(metrics);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var resolved = metrics.Select(metric => (metric ?? throw new ArgumentException("A metric is null.", nameof(metrics))).Resolve(loss, OutputWidth)).ToArray();
        var duplicate = resolved.GroupBy(metric => metric.Name).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"The metric '{duplicate.Key}' is given twice.", nameof(metrics));
        }

        if (resolved.Any(metric => metric.Name == "loss"))
        {
            throw new ArgumentException("No metric may be called 'loss'.", nameof(metrics));
        }

        if (!ReferenceEquals(optimizer, _optimizer))
        {
            optimizer.Bind(Flat);
        }

        _optimizer = optimizer;
        _loss = loss;
        _metrics = resolved;
        return this;
    }

    /// <summary>A copy of the trainable parameters and buffers (for example to restore the best weights later).</summary>
    /// <returns>The copy; dispose it when done.</returns>
    public ModelWeights GetWeights()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new ModelWeights(Flat.Values.clone().DetachFromDisposeScope(), Flat.Buffers?.clone().DetachFromDisposeScope());
    }

    /// <summary>Copies weights taken from this model (or one of the same architecture) back into it.</summary>
    /// <param name="weights">Weights from <see cref="GetWeights"/>.</param>
    public void SetWeights(ModelWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (weights.Parameters.numel() != Flat.Count || (weights.Buffers?.numel() ?? 0) != (Flat.Buffers?.numel() ?? 0))
        {
            throw new ArgumentException($"The weights hold {weights.Parameters.numel()} parameter values; this model has {Flat.Count}.", nameof(weights));
        }

        using (no_grad())
        {
            Flat.Values.copy_(weights.Parameters);
            if (Flat.Buffers is not null && weights.Buffers is not null)
            {
                Flat.Buffers.copy_(weights.Buffers);
            }
        }
    }

    /// <summary>Every parameter and buffer by its PyTorch <c>state_dict</c> name (views of the model's tensors, not copies).</summary>
    /// <returns>The named tensors in <c>state_dict</c> order.</returns>
    public IReadOnlyList<(string Name, Tensor Tensor)> NamedTensors() =>
        _module.state_dict().Select(pair => (pair.Key, pair.Value)).ToList();

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _optimizer?.Dispose();
        Flat.Dispose();
        _module.Dispose();
    }

    /// <summary>The optimizer, loss and metrics, or an error saying to compile first.</summary>
    internal (Optimizer Optimizer, Loss Loss, Metric[] Metrics) Compiled(string operation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _optimizer is null || _loss is null
            ? throw new InvalidOperationException($"Compile the model (optimizer, loss, metrics) before {operation}.")
            : (_optimizer, _loss, _metrics);
    }

    /// <summary>Builds a model from a <see cref="Sequential"/> description in the current scope.</summary>
    internal static Model FromSequential(Sequential description, long? seed)
    {
        TorchRuntime.EnsureInitialized();
        var context = CurrentContext();
        // Initialised on the CPU (seeded there, so a seed gives the same weights on every device), then moved.
        using var generator = seed is null ? null : new Generator((ulong)seed.Value, CPU);
        var module = SequentialModuleFactory.Create(description, CPU, generator);
        if (context.Device.type != DeviceType.CPU)
        {
            module.to(context.Device);
        }

        return new Model(module, description, description.InputWidth, description.ElementType, context);
    }

    private static IReplicaContext CurrentContext() => ReplicaScope.Current ?? new LocalReplicaContext(CPU);

    private static int ProbeOutputWidth(nn.Module<Tensor, Tensor> module, int inputWidth, ScalarType elementType, Device device)
    {
        var training = module.training;
        try
        {
            module.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var output = module.forward(zeros([2, inputWidth], elementType, device));
            if (output.dim() != 2 || output.shape[0] != 2)
            {
                throw new ArgumentException($"The module maps [n, {inputWidth}] inputs to [{string.Join(", ", output.shape)}]; a model's outputs must be [n, outputs].");
            }

            return (int)output.shape[1];
        }
        catch (Exception ex) when (ex is not ArgumentException)
        {
            throw new ArgumentException($"The module cannot take inputs of width {inputWidth}: {ex.Message}", ex);
        }
        finally
        {
            module.train(training);
        }
    }
}
