using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Mlops.Training.Callbacks;

/// <summary>
/// The loss and metrics that a callback receives (Keras' <c>logs</c>): "loss", each metric by name, and after an
/// epoch with validation the same with a <c>val_</c> prefix. Batch logs are read lazily: the statistics stay on the
/// device until a callback looks at them, so callbacks that do not read them cost no host transfer. Batch logs are
/// valid during the call that receives them; epoch logs are a fixed snapshot.
/// </summary>
public sealed class TrainingLogs : IReadOnlyDictionary<string, double>
{
    private readonly Func<IReadOnlyDictionary<string, double>>? _source;
    private IReadOnlyDictionary<string, double>? _values;

    private TrainingLogs(IReadOnlyDictionary<string, double>? values, Func<IReadOnlyDictionary<string, double>>? source)
    {
        _values = values;
        _source = source;
    }

    /// <summary>No values (as at the start of training).</summary>
    public static TrainingLogs Empty { get; } = new(new Dictionary<string, double>(), null);

    /// <inheritdoc />
    public int Count => Values.Count;

    /// <inheritdoc />
    public IEnumerable<string> Keys => Values.Keys;

    IEnumerable<double> IReadOnlyDictionary<string, double>.Values => Values.Values;

    private IReadOnlyDictionary<string, double> Values => _values ??= _source!();

    /// <inheritdoc />
    public double this[string key] => Values.TryGetValue(key, out var value)
        ? value
        : throw new KeyNotFoundException($"The logs have no '{key}'; they have: {string.Join(", ", Values.Keys)}.");

    /// <summary>Fixed values.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The logs.</returns>
    public static TrainingLogs Of(IReadOnlyDictionary<string, double> values) => new(new Dictionary<string, double>(values, StringComparer.Ordinal), null);

    /// <inheritdoc />
    public bool ContainsKey(string key) => Values.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out double value) => Values.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, double>> GetEnumerator() => Values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => string.Join(" - ", Values.Select(pair => $"{pair.Key}: {pair.Value:0.0000}"));

    /// <summary>Forgets computed values so the next access computes them again (lazy logs only).</summary>
    internal void Invalidate()
    {
        if (_source is not null)
        {
            _values = null;
        }
    }

    /// <summary>Values computed on first access.</summary>
    internal static TrainingLogs Lazy(Func<IReadOnlyDictionary<string, double>> source) => new(null, source);
}
