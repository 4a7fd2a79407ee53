using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// Updates a model's parameters from their gradients. Implementations run on the model's flat parameter and
/// gradient buffers as a few whole-buffer in-place kernels (no loop over parameters), with the update rules of
/// <c>torch.optim</c> (so a trajectory matches PyTorch's) and Keras' default hyper-parameters. An optimizer instance
/// belongs to one model, as in Keras. <see cref="LearningRate"/> may be changed between steps (schedules do);
/// the state (step count and moments) is saved and restored by checkpoints.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> _state = [];
    private FlatParameters? _parameters;
    private double _learningRate;

    private protected Optimizer(double learningRate)
    {
        LearningRate = learningRate;
    }

    /// <summary>The optimizer's Keras name (sgd, adam, adamw, rmsprop).</summary>
    public abstract string Name { get; }

    /// <summary>The learning rate of the next step.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{Name}: the learning rate must be a finite number >= 0.");
            }

            _learningRate = value;
        }
    }

    /// <summary>Steps taken so far (Keras' <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; private set; }

    /// <summary>The hyper-parameters, by their Keras names (learning_rate included), as logged and saved.</summary>
    public IReadOnlyDictionary<string, double> Config
    {
        get
        {
            var config = new Dictionary<string, double>(StringComparer.Ordinal) { ["learning_rate"] = LearningRate };
            foreach (var (key, value) in HyperParameters())
            {
                config[key] = value;
            }

            return config;
        }
    }

    /// <summary>Stochastic gradient descent, optionally with (Nesterov) momentum and L2 weight decay (as <c>torch.optim.SGD</c>).</summary>
    /// <param name="learningRate">The step size (Keras' default 0.01).</param>
    /// <param name="momentum">The momentum, in [0, 1); 0 disables it.</param>
    /// <param name="nesterov">Whether to use Nesterov momentum (needs momentum &gt; 0).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <returns>The optimizer.</returns>
    public static Optimizer Sgd(double learningRate = 0.01, double momentum = 0, bool nesterov = false, double weightDecay = 0)
        => new SgdOptimizer(learningRate, momentum, nesterov, weightDecay);

    /// <summary>Adam (as <c>torch.optim.Adam</c>, with Keras' default epsilon 1e-7), optionally AMSGrad and L2 weight decay.</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator.</param>
    /// <param name="amsgrad">Whether to use the maximum of past second moments.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient (not decoupled; see <see cref="AdamW"/>).</param>
    /// <returns>The optimizer.</returns>
    public static Optimizer Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, bool amsgrad = false, double weightDecay = 0)
        => new AdamOptimizer(learningRate, beta1, beta2, epsilon, amsgrad, weightDecay, decoupled: false);

    /// <summary>Adam with decoupled weight decay (as <c>torch.optim.AdamW</c>; Keras' defaults: weight decay 0.004, epsilon 1e-7).</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="weightDecay">Decoupled weight decay: each step multiplies parameters by <c>1 - learningRate * weightDecay</c>.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator.</param>
    /// <param name="amsgrad">Whether to use the maximum of past second moments.</param>
    /// <returns>The optimizer.</returns>
    public static Optimizer AdamW(double learningRate = 0.001, double weightDecay = 0.004, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, bool amsgrad = false)
        => new AdamOptimizer(learningRate, beta1, beta2, epsilon, amsgrad, weightDecay, decoupled: true);

    /// <summary>RMSprop (as <c>torch.optim.RMSprop</c>, with Keras' defaults rho 0.9 and epsilon 1e-7).</summary>
    /// <param name="learningRate">The step size.</param>
    /// <param name="rho">Decay of the mean square (PyTorch's alpha), in [0, 1).</param>
    /// <param name="momentum">Momentum, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator.</param>
    /// <param name="centered">Whether to normalise by the estimated variance instead of the mean square.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <returns>The optimizer.</returns>
    public static Optimizer RmsProp(double learningRate = 0.001, double rho = 0.9, double momentum = 0, double epsilon = 1e-7, bool centered = false, double weightDecay = 0)
        => new RmsPropOptimizer(learningRate, rho, momentum, epsilon, centered, weightDecay);

    /// <summary>Makes an optimizer from its name and <see cref="Config"/> (as saved in <c>model.json</c>).</summary>
    /// <param name="name">sgd, adam, adamw or rmsprop.</param>
    /// <param name="config">Hyper-parameters by Keras name; missing ones take the defaults.</param>
    /// <returns>The optimizer.</returns>
    public static Optimizer FromConfig(string name, IReadOnlyDictionary<string, double> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        double Get(string key, double fallback) => config.TryGetValue(key, out var value) ? value : fallback;
        return name switch
        {
            "sgd" => Sgd(Get("learning_rate", 0.01), Get("momentum", 0), Get("nesterov", 0) != 0, Get("weight_decay", 0)),
            "adam" => Adam(Get("learning_rate", 0.001), Get("beta_1", 0.9), Get("beta_2", 0.999), Get("epsilon", 1e-7), Get("amsgrad", 0) != 0, Get("weight_decay", 0)),
            "adamw" => AdamW(Get("learning_rate", 0.001), Get("weight_decay", 0.004), Get("beta_1", 0.9), Get("beta_2", 0.999), Get("epsilon", 1e-7), Get("amsgrad", 0) != 0),
            "rmsprop" => RmsProp(Get("learning_rate", 0.001), Get("rho", 0.9), Get("momentum", 0), Get("epsilon", 1e-7), Get("centered", 0) != 0, Get("weight_decay", 0)),
            _ => throw new ArgumentException($"Unknown optimizer '{name}'; known: sgd, adam, adamw, rmsprop.", nameof(name)),
        };
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}({string.Join(", ", Config.Select(pair => $"{pair.Key}={pair.Value.ToString(CultureInfo.InvariantCulture)}"))})";

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, tensor) in _state)
        {
            tensor.Dispose();
        }

        _state.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>The state tensors by name (moments, momentum buffers), each as long as the flat parameter buffer.</summary>
    internal IReadOnlyList<(string Name, Tensor Tensor)> State => _state;

    /// <summary>Whether the optimizer has been given a model's parameters.</summary>
    internal bool IsBound => _parameters is not null;

    /// <summary>Allocates the state for a model's flat parameters; an optimizer serves one model only.</summary>
    internal void Bind(FlatParameters parameters)
    {
        if (_parameters is not null && !ReferenceEquals(_parameters, parameters))
        {
            throw new InvalidOperationException($"This {Name} optimizer is already used by another model; create one optimizer per model (as in Keras).");
        }

        if (_parameters is null)
        {
            _parameters = parameters;
            foreach (var name in StateNames())
            {
                _state.Add((name, zeros_like(parameters.Values)));
            }

            Initialize();
        }
    }

    /// <summary>Applies one update from the gradients in the flat gradient buffer (already averaged over the global batch).</summary>
    internal void Step()
    {
        var parameters = _parameters ?? throw new InvalidOperationException("The optimizer is not bound to a model; compile the model first.");
        Iterations++;
        using (no_grad())
        {
            Apply(parameters.Values, parameters.ParameterGradients, Iterations);
        }
    }

    /// <summary>Replaces the step count and the state (from a checkpoint); every tensor must match by name and length.</summary>
    internal void Restore(long iterations, IReadOnlyDictionary<string, Tensor> state)
    {
        if (iterations < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "The step count cannot be negative.");
        }

        using (no_grad())
        {
            foreach (var (name, tensor) in _state)
            {
                if (!state.TryGetValue(name, out var saved))
                {
                    throw new ArgumentException($"The saved {Name} state has no '{name}'.", nameof(state));
                }

                if (saved.numel() != tensor.numel())
                {
                    throw new ArgumentException($"The saved {Name} state '{name}' has {saved.numel()} values; the model has {tensor.numel()} parameters.", nameof(state));
                }

                tensor.copy_(saved.reshape(tensor.shape));
            }
        }

        Iterations = iterations;
    }

    /// <summary>The state tensor called <paramref name="name"/>.</summary>
    private protected Tensor StateTensor(string name) => _state.First(entry => entry.Name == name).Tensor;

    /// <summary>Names of the state tensors (each as long as the parameters), allocated zeroed at bind time.</summary>
    private protected abstract IEnumerable<string> StateNames();

    /// <summary>Called once the state is allocated (to cache views or scalars).</summary>
    private protected virtual void Initialize()
    {
    }

    /// <summary>The hyper-parameters besides the learning rate.</summary>
    private protected abstract IEnumerable<(string Key, double Value)> HyperParameters();

    /// <summary>Updates <paramref name="values"/> in place from <paramref name="gradients"/>; <paramref name="step"/> counts from 1.</summary>
    private protected abstract void Apply(Tensor values, Tensor gradients, long step);

    /// <summary>Checks a hyper-parameter in [0, 1).</summary>
    private protected static double Fraction(double value, string name, string optimizer)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{optimizer}: {name} must be in [0, 1).");
        }

        return value;
    }

    /// <summary>Checks a hyper-parameter that is a finite number &gt;= 0.</summary>
    private protected static double NonNegative(double value, string name, string optimizer)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{optimizer}: {name} must be a finite number >= 0.");
        }

        return value;
    }
}
