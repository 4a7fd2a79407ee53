namespace Mlops.Training;

/// <summary>What <c>Fit</c> returns (Keras' <c>History</c>): per epoch run, the loss and metrics, and with validation the same with <c>val_</c>.</summary>
public sealed class History
{
    private readonly List<int> _epochs = [];
    private readonly Dictionary<string, List<double>> _values = new(StringComparer.Ordinal);

    /// <summary>The 0-based epochs that ran, in order.</summary>
    public IReadOnlyList<int> Epochs => _epochs;

    /// <summary>Each logged quantity (loss, metrics, val_...) by name, one value per epoch in <see cref="Epochs"/>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> Values => _values.ToDictionary(pair => pair.Key, pair => (IReadOnlyList<double>)pair.Value, StringComparer.Ordinal);

    /// <summary>Whether training ended before the epochs asked for (a callback stopped it, or the data ran out).</summary>
    public bool StoppedEarly { get; internal set; }

    /// <summary>Warnings raised while training (such as running out of data), as Keras prints them.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    private readonly List<string> _warnings = [];

    /// <summary>The values of one quantity per epoch.</summary>
    /// <param name="name">loss, a metric name, or one of those with <c>val_</c>.</param>
    /// <returns>One value per epoch in <see cref="Epochs"/>.</returns>
    public IReadOnlyList<double> this[string name] => _values.TryGetValue(name, out var values)
        ? values
        : throw new KeyNotFoundException($"The history has no '{name}'; it has: {string.Join(", ", _values.Keys)}.");

    internal void Add(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _epochs.Add(epoch);
        foreach (var (name, value) in logs)
        {
            if (!_values.TryGetValue(name, out var values))
            {
                values = [];
                _values[name] = values;
            }

            values.Add(value);
        }
    }

    internal void Warn(string warning) => _warnings.Add(warning);
}
