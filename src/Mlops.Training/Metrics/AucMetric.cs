using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// The area under the ROC curve as Keras' <c>AUC(curve="ROC", summation_method="interpolation")</c> computes it: the
/// thresholds are -1e-7, i/(N-1) for i = 1..N-2, and 1 + 1e-7; an output above a threshold counts as positive; the area
/// is the trapezoidal sum over the (false positive rate, true positive rate) points. Labels above 0.5 are positives.
/// State: [true positives per threshold (N), false positives per threshold (N), positives].
/// </summary>
internal sealed class AucMetric : Metric
{
    private readonly int _thresholds;
    private readonly long _width;
    private readonly Dictionary<(DeviceType, int, ScalarType), Tensor> _thresholdTensors = [];

    public AucMetric(int thresholds, long width = 1)
    {
        if (thresholds < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(thresholds), thresholds, "AUC needs at least 3 thresholds.");
        }

        _thresholds = thresholds;
        _width = width;
    }

    public override string Name => "auc";

    internal override string ConfigName => _thresholds == 200 ? "auc" : $"auc_{_thresholds}";

    internal override int StateSize => (2 * _thresholds) + 1;

    internal override Metric Resolve(Loss loss, long outputWidth) => new AucMetric(_thresholds, outputWidth);

    internal override void Accumulate(Tensor predictions, Tensor labels, Tensor state)
    {
        var thresholds = Thresholds(predictions);
        using var flat = predictions.reshape(-1, 1);
        using var above = flat.gt(thresholds);
        using var aboveValues = above.to_type(state.dtype);
        using var positive = labels.reshape(-1).gt(0.5);
        using var positiveValues = positive.to_type(state.dtype);
        using var negativeValues = 1 - positiveValues;
        using var aboveByThreshold = aboveValues.t();
        using var truePositives = aboveByThreshold.mv(positiveValues);
        using var falsePositives = aboveByThreshold.mv(negativeValues);
        using var positives = positiveValues.sum().unsqueeze(0);
        using var all = cat([truePositives, falsePositives, positives]);
        state.add_(all, Scalars.One);
    }

    internal override double Result(ReadOnlySpan<double> state, double examples)
    {
        var n = _thresholds;
        var positives = state[2 * n];
        var negatives = (examples * _width) - positives;
        double area = 0;
        for (var i = 0; i < n - 1; i++)
        {
            var tpr0 = Rate(state[i], positives);
            var tpr1 = Rate(state[i + 1], positives);
            var fpr0 = Rate(state[n + i], negatives);
            var fpr1 = Rate(state[n + i + 1], negatives);
            area += (fpr0 - fpr1) * (tpr0 + tpr1) / 2;
        }

        return area;
    }

    private static double Rate(double count, double total) => total == 0 ? 0 : count / total;

    private Tensor Thresholds(Tensor like)
    {
        var key = (like.device_type, like.device_index, like.dtype);
        lock (_thresholdTensors)
        {
            if (!_thresholdTensors.TryGetValue(key, out var thresholds))
            {
                var values = new double[_thresholds];
                values[0] = -1e-7;
                for (var i = 1; i < _thresholds - 1; i++)
                {
                    values[i] = (double)i / (_thresholds - 1);
                }

                values[^1] = 1 + 1e-7;
                thresholds = tensor(values, dtype: like.dtype, device: like.device).DetachFromDisposeScope();
                _thresholdTensors[key] = thresholds;
            }

            return thresholds;
        }
    }
}
