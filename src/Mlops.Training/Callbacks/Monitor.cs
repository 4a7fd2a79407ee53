namespace Mlops.Training.Callbacks;

/// <summary>A quantity in the logs that callbacks watch, with its direction and minimum meaningful change.</summary>
internal sealed class Monitor
{
    private static readonly string[] HigherIsBetter = ["accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "auc", "precision", "recall"];

    public Monitor(string name, MonitorMode mode, double minDelta)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!(minDelta >= 0) || double.IsInfinity(minDelta))
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "minDelta must be a finite number >= 0.");
        }

        Name = name;
        MinDelta = minDelta;
        var bare = name.StartsWith("val_", StringComparison.Ordinal) ? name[4..] : name;
        Maximize = mode switch
        {
            MonitorMode.Max => true,
            MonitorMode.Min => false,
            _ => HigherIsBetter.Contains(bare) || bare.Contains("acc", StringComparison.Ordinal),
        };
    }

    public string Name { get; }

    public double MinDelta { get; }

    public bool Maximize { get; }

    /// <summary>The worst possible value, to start from.</summary>
    public double Worst => Maximize ? double.NegativeInfinity : double.PositiveInfinity;

    /// <summary>Whether <paramref name="value"/> beats <paramref name="reference"/> by more than <see cref="MinDelta"/>.</summary>
    public bool Improves(double value, double reference) => Maximize ? value - MinDelta > reference : value + MinDelta < reference;

    /// <summary>The monitored value from logs; an error naming the quantities the logs do have when it is absent.</summary>
    public double Read(TrainingLogs logs, string callback) => logs.TryGetValue(Name, out var value)
        ? value
        : throw new InvalidOperationException($"{callback} monitors '{Name}', which the logs do not have; they have: {string.Join(", ", logs.Keys)}. (val_ quantities need validation data.)");
}
