using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// SGD with <c>torch.optim.SGD</c>'s update (dampening 0): <c>d = g + wd·p; buf = μ·buf + d; d = nesterov ? d + μ·buf :
/// buf; p -= lr·d</c>. Keras' form (<c>v = μ·v - lr·g; p += v</c>) gives the same parameters while the learning rate is
/// constant.
/// </summary>
internal sealed class SgdOptimizer : Optimizer
{
    private readonly double _momentum;
    private readonly bool _nesterov;
    private readonly double _weightDecay;
    private Tensor? _buffer;

    public SgdOptimizer(double learningRate, double momentum, bool nesterov, double weightDecay)
        : base(learningRate)
    {
        _momentum = Fraction(momentum, nameof(momentum), "sgd");
        _weightDecay = NonNegative(weightDecay, nameof(weightDecay), "sgd");
        if (nesterov && momentum == 0)
        {
            throw new ArgumentException("sgd: Nesterov momentum needs a momentum > 0.", nameof(nesterov));
        }

        _nesterov = nesterov;
    }

    public override string Name => "sgd";

    private protected override IEnumerable<string> StateNames() => _momentum > 0 ? ["momentum"] : [];

    private protected override void Initialize() => _buffer = _momentum > 0 ? StateTensor("momentum") : null;

    private protected override IEnumerable<(string Key, double Value)> HyperParameters() =>
        [("momentum", _momentum), ("nesterov", _nesterov ? 1 : 0), ("weight_decay", _weightDecay)];

    private protected override void Apply(Tensor values, Tensor gradients, long step)
    {
        if (_weightDecay != 0)
        {
            using var decay = _weightDecay.ToScalar();
            gradients.add_(values, decay);
        }

        var direction = gradients;
        if (_buffer is not null)
        {
            using var momentum = _momentum.ToScalar();
            _buffer.mul_(momentum).add_(gradients, Scalars.One);
            if (_nesterov)
            {
                gradients.add_(_buffer, momentum);
            }
            else
            {
                direction = _buffer;
            }
        }

        using var rate = (-LearningRate).ToScalar();
        values.add_(direction, rate);
    }
}
