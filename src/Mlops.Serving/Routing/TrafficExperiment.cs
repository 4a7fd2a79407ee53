namespace Mlops.Serving.Routing;

/// <summary>The randomness traffic routing draws from: shared by every experiment, replaceable by a seeded one in tests.</summary>
internal sealed class TrafficRandom
{
    private readonly Random _random;
    private readonly Lock _lock = new();

    public TrafficRandom(Random random) => _random = random;

    /// <summary>A number in [0, 1).</summary>
    public double NextDouble()
    {
        lock (_lock)
        {
            return _random.NextDouble();
        }
    }
}

/// <summary>
/// One traffic experiment: a weighted draw among candidate models (A/B, canary), a sticky route honoured while it
/// names a ready candidate, the default when the draw lands on a model that is not ready, and a mirror share.
/// </summary>
internal sealed class TrafficExperiment
{
    private readonly (string Name, double Upper)[] _candidates;
    private readonly double _total;
    private readonly TrafficRandom _random;

    public TrafficExperiment(string name, TrafficExperimentOptions options, TrafficRandom random)
    {
        Name = name;
        _random = random;

        // Ordered by name so a seeded draw picks the same candidate whatever order the configuration listed them in.
        var cumulative = 0.0;
        _candidates = options.Candidates.OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => (c.Key, cumulative += c.Value))
            .ToArray();
        _total = cumulative;
        Default = options.Default!;
        Mirror = options.Mirror;
        MirrorPercent = options.MirrorPercent;
    }

    public string Name { get; }

    public string Default { get; }

    public string? Mirror { get; }

    public double MirrorPercent { get; }

    public IEnumerable<string> Candidates => _candidates.Select(c => c.Name);

    /// <summary>The candidate that answers this request.</summary>
    public string Choose(string? requestedRoute, Func<string, bool> isReady)
    {
        if (requestedRoute is not null && _candidates.Any(c => c.Name == requestedRoute) && isReady(requestedRoute))
        {
            return requestedRoute;
        }

        var draw = _random.NextDouble() * _total;
        var chosen = _candidates[^1].Name;
        foreach (var (name, upper) in _candidates)
        {
            if (draw < upper)
            {
                chosen = name;
                break;
            }
        }

        return isReady(chosen) ? chosen : Default;
    }

    /// <summary>Whether this request is also copied to the mirror.</summary>
    public bool ShouldMirror() => Mirror is not null && MirrorPercent > 0 && _random.NextDouble() * 100 < MirrorPercent;
}
