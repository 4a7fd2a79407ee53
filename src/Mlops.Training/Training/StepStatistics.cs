using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// The running loss and metric states of an epoch (or an evaluation), kept on the device in float64 and read back only
/// when someone looks (progress bar, callbacks reading logs, epoch end). Layout of the vector:
/// <c>[examples, loss sum, metric 1 state, metric 2 state, ...]</c>. In a multi-replica step the same layout, followed
/// by one error flag, is the tail of the flat gradient buffer, so the step's statistics travel in the gradients'
/// all-reduce and every replica adds the global sums to its running vector.
/// </summary>
internal sealed class StepStatistics : IDisposable
{
    public const int CountSlot = 0;
    public const int LossSlot = 1;
    private readonly Metric[] _metrics;
    private readonly int[] _offsets;
    private readonly Tensor _running;
    private readonly Tensor _runningLoss;
    private readonly Tensor[] _runningMetrics;
    private readonly Dictionary<int, Scalar> _countScalars = [];
    private double _hostCount;
    private double[]? _cache;

    public StepStatistics(Metric[] metrics, Device device)
    {
        _metrics = metrics;
        _offsets = new int[metrics.Length];
        var offset = 2;
        for (var i = 0; i < metrics.Length; i++)
        {
            _offsets[i] = offset;
            offset += metrics[i].StateSize;
        }

        Length = offset;
        _running = zeros(Length, ScalarType.Float64, device);
        _runningLoss = _running.narrow(0, LossSlot, 1);
        _runningMetrics = metrics.Select((metric, i) => _running.narrow(0, _offsets[i], metric.StateSize)).ToArray();
    }

    /// <summary>Values in the vector (without the error flag).</summary>
    public int Length { get; }

    /// <summary>Values in a step's tail: the vector plus the error flag.</summary>
    public int TailLength => Length + 1;

    /// <summary>Starts a new epoch or evaluation.</summary>
    public void Reset()
    {
        _running.zero_();
        _hostCount = 0;
        _cache = null;
    }

    /// <summary>Adds a single replica's batch: its mean loss (weighted by the batch size) and metric states.</summary>
    public void AddLocal(Tensor meanLoss, int count, Tensor predictions, Tensor labels)
    {
        _runningLoss.add_(meanLoss, CountScalar(count));
        for (var i = 0; i < _metrics.Length; i++)
        {
            _metrics[i].Accumulate(predictions, labels, _runningMetrics[i]);
        }

        _hostCount += count;
        _cache = null;
    }

    /// <summary>Adds an evaluation batch: its summed loss and metric states.</summary>
    public void AddLocalSum(Tensor lossSum, int count, Tensor predictions, Tensor labels)
    {
        _runningLoss.add_(lossSum, Scalars.One);
        for (var i = 0; i < _metrics.Length; i++)
        {
            _metrics[i].Accumulate(predictions, labels, _runningMetrics[i]);
        }

        _hostCount += count;
        _cache = null;
    }

    /// <summary>Views of a step tail's slots, made once per training run.</summary>
    public TailViews Bind(Tensor tail) => new(
        tail.narrow(0, CountSlot, 1),
        tail.narrow(0, LossSlot, 1),
        _metrics.Select((metric, i) => tail.narrow(0, _offsets[i], metric.StateSize)).ToArray(),
        tail.narrow(0, Length, 1),
        tail.narrow(0, 0, Length));

    /// <summary>Writes a replica's batch into the step tail (before the all-reduce).</summary>
    public void FillTail(TailViews tail, Tensor lossSum, int count, Tensor predictions, Tensor labels)
    {
        tail.Count.fill_(CountScalar(count));
        tail.Loss.copy_(lossSum.reshape(1));
        for (var i = 0; i < _metrics.Length; i++)
        {
            _metrics[i].Accumulate(predictions, labels, tail.Metrics[i]);
        }
    }

    /// <summary>Adds an all-reduced step tail (global sums) to the running vector.</summary>
    public void AddReduced(TailViews tail)
    {
        _running.add_(tail.Statistics, Scalars.One);
        _cache = null;
    }

    /// <summary>The running vector on the host (examples in slot 0); cached until the next change.</summary>
    public double[] Read()
    {
        if (_cache is not null)
        {
            return _cache;
        }

        using var host = _running.device_type == DeviceType.CPU ? _running.alias() : _running.cpu();
        var values = MemoryMarshal.Cast<byte, double>(host.bytes).ToArray();
        values[CountSlot] += _hostCount;
        _cache = values;
        return values;
    }

    /// <summary>Loss and metrics from a (possibly replica-summed) vector.</summary>
    public Dictionary<string, double> Logs(ReadOnlySpan<double> values, string prefix = "")
    {
        var count = values[CountSlot];
        var logs = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [prefix + "loss"] = count == 0 ? double.NaN : values[LossSlot] / count,
        };
        for (var i = 0; i < _metrics.Length; i++)
        {
            logs[prefix + _metrics[i].Name] = _metrics[i].Result(values.Slice(_offsets[i], _metrics[i].StateSize), count);
        }

        return logs;
    }

    public void Dispose()
    {
        foreach (var metric in _runningMetrics)
        {
            metric.Dispose();
        }

        _runningLoss.Dispose();
        _running.Dispose();
        foreach (var scalar in _countScalars.Values)
        {
            scalar.Dispose();
        }
    }

    // Batch sizes repeat, so their scalars are made once instead of every step.
    private Scalar CountScalar(int count)
    {
        if (!_countScalars.TryGetValue(count, out var scalar))
        {
            scalar = count.ToScalar();
            if (_countScalars.Count < 8)
            {
                _countScalars[count] = scalar;
            }
        }

        return scalar;
    }

    /// <summary>Views of one step tail: the example count, loss sum, metric states, error flag, and all statistics together.</summary>
    internal sealed record TailViews(Tensor Count, Tensor Loss, Tensor[] Metrics, Tensor ErrorFlag, Tensor Statistics) : IDisposable
    {
        public void Dispose()
        {
            Count.Dispose();
            Loss.Dispose();
            foreach (var metric in Metrics)
            {
                metric.Dispose();
            }

            ErrorFlag.Dispose();
            Statistics.Dispose();
        }
    }
}
