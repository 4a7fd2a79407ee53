using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// Adam and AdamW with <c>torch.optim</c>'s update on the flat buffers: <c>m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
/// p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + ε)</c> (AMSGrad uses the running maximum of v). Adam's weight decay
/// is added to the gradient (L2); AdamW's multiplies the parameters by <c>1 - lr·wd</c> first (decoupled). Eight
/// whole-buffer kernels per step whatever the number of parameters.
/// </summary>
internal sealed class AdamOptimizer : Optimizer
{
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly double _epsilon;
    private readonly bool _amsgrad;
    private readonly double _weightDecay;
    private readonly bool _decoupled;
    private readonly Scalar _beta1Scalar;
    private readonly Scalar _oneMinusBeta1;
    private readonly Scalar _beta2Scalar;
    private readonly Scalar _oneMinusBeta2;
    private readonly Scalar _epsilonScalar;
    private Tensor _first = null!;
    private Tensor _second = null!;
    private Tensor? _maxSecond;

    public AdamOptimizer(double learningRate, double beta1, double beta2, double epsilon, bool amsgrad, double weightDecay, bool decoupled)
        : base(learningRate)
    {
        var name = decoupled ? "adamw" : "adam";
        _beta1 = Fraction(beta1, nameof(beta1), name);
        _beta2 = Fraction(beta2, nameof(beta2), name);
        _epsilon = NonNegative(epsilon, nameof(epsilon), name);
        _weightDecay = NonNegative(weightDecay, nameof(weightDecay), name);
        _amsgrad = amsgrad;
        _decoupled = decoupled;
        _beta1Scalar = beta1.ToScalar();
        _oneMinusBeta1 = (1 - beta1).ToScalar();
        _beta2Scalar = beta2.ToScalar();
        _oneMinusBeta2 = (1 - beta2).ToScalar();
        _epsilonScalar = epsilon.ToScalar();
    }

    public override string Name => _decoupled ? "adamw" : "adam";

    private protected override IEnumerable<string> StateNames() => _amsgrad ? ["m", "v", "v_max"] : ["m", "v"];

    private protected override void Initialize()
    {
        _first = StateTensor("m");
        _second = StateTensor("v");
        _maxSecond = _amsgrad ? StateTensor("v_max") : null;
    }

    private protected override IEnumerable<(string Key, double Value)> HyperParameters() =>
        [("beta_1", _beta1), ("beta_2", _beta2), ("epsilon", _epsilon), ("amsgrad", _amsgrad ? 1 : 0), ("weight_decay", _weightDecay)];

    private protected override void Apply(Tensor values, Tensor gradients, long step)
    {
        var learningRate = LearningRate;
        if (_weightDecay != 0)
        {
            if (_decoupled)
            {
                using var shrink = (1 - (learningRate * _weightDecay)).ToScalar();
                values.mul_(shrink);
            }
            else
            {
                using var decay = _weightDecay.ToScalar();
                gradients.add_(values, decay);
            }
        }

        var correction1 = 1 - Math.Pow(_beta1, step);
        var correction2 = 1 - Math.Pow(_beta2, step);
        _first.mul_(_beta1Scalar).add_(gradients, _oneMinusBeta1);
        _second.mul_(_beta2Scalar).addcmul_(gradients, gradients, _oneMinusBeta2);
        var second = _second;
        if (_maxSecond is not null)
        {
            using var maximum = _maxSecond.maximum(_second);
            _maxSecond.copy_(maximum);
            second = _maxSecond;
        }

        using var root = Math.Sqrt(correction2).ToScalar();
        using var denominator = second.sqrt();
        denominator.div_(root).add_(_epsilonScalar, Scalars.One);
        using var stepSize = (-learningRate / correction1).ToScalar();
        values.addcdiv_(_first, denominator, stepSize);
    }
}
