using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// RMSprop with <c>torch.optim.RMSprop</c>'s update: <c>s = ρ·s + (1-ρ)·g²</c>; centered: <c>a = ρ·a + (1-ρ)·g, d =
/// sqrt(s - a²) + ε</c>, else <c>d = sqrt(s) + ε</c>; with momentum <c>b = μ·b + g/d, p -= lr·b</c>, else <c>p -= lr·g/d</c>.
/// (Keras adds ε inside the square root; the difference is negligible for ε ≪ s.)
/// </summary>
internal sealed class RmsPropOptimizer : Optimizer
{
    private readonly double _rho;
    private readonly double _momentum;
    private readonly double _epsilon;
    private readonly bool _centered;
    private readonly double _weightDecay;
    private Tensor _square = null!;
    private Tensor? _average;
    private Tensor? _buffer;

    public RmsPropOptimizer(double learningRate, double rho, double momentum, double epsilon, bool centered, double weightDecay)
        : base(learningRate)
    {
        _rho = Fraction(rho, nameof(rho), "rmsprop");
        _momentum = Fraction(momentum, nameof(momentum), "rmsprop");
        _epsilon = NonNegative(epsilon, nameof(epsilon), "rmsprop");
        _weightDecay = NonNegative(weightDecay, nameof(weightDecay), "rmsprop");
        _centered = centered;
    }

    public override string Name => "rmsprop";

    private protected override IEnumerable<string> StateNames()
    {
        yield return "square_average";
        if (_centered)
        {
            yield return "average";
        }

        if (_momentum > 0)
        {
            yield return "momentum";
        }
    }

    private protected override void Initialize()
    {
        _square = StateTensor("square_average");
        _average = _centered ? StateTensor("average") : null;
        _buffer = _momentum > 0 ? StateTensor("momentum") : null;
    }

    private protected override IEnumerable<(string Key, double Value)> HyperParameters() =>
        [("rho", _rho), ("momentum", _momentum), ("epsilon", _epsilon), ("centered", _centered ? 1 : 0), ("weight_decay", _weightDecay)];

    private protected override void Apply(Tensor values, Tensor gradients, long step)
    {
        if (_weightDecay != 0)
        {
            using var decay = _weightDecay.ToScalar();
            gradients.add_(values, decay);
        }

        using var rho = _rho.ToScalar();
        using var oneMinusRho = (1 - _rho).ToScalar();
        using var epsilon = _epsilon.ToScalar();
        _square.mul_(rho).addcmul_(gradients, gradients, oneMinusRho);
        Tensor denominator;
        if (_average is not null)
        {
            using var minusOne = (-1.0).ToScalar();
            _average.mul_(rho).add_(gradients, oneMinusRho);
            denominator = _square.addcmul(_average, _average, minusOne).sqrt_().add_(epsilon, Scalars.One);
        }
        else
        {
            denominator = _square.sqrt().add_(epsilon, Scalars.One);
        }

        using (denominator)
        {
            using var rate = (-LearningRate).ToScalar();
            if (_buffer is not null)
            {
                using var momentum = _momentum.ToScalar();
                _buffer.mul_(momentum).addcdiv_(gradients, denominator);
                values.add_(_buffer, rate);
            }
            else
            {
                values.addcdiv_(gradients, denominator, rate);
            }
        }
    }
}
