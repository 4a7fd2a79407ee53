using System.Collections.Concurrent;
using Mlops.Features.FeatureStore.Online;

namespace Mlops.Features.Tests.FeatureStore;

/// <summary>A dictionary-backed online store for these tests (the real stores arrive with their own contract suite).</summary>
internal sealed class DictionaryOnlineStore : OnlineStore
{
    private readonly ConcurrentDictionary<(string, string, string), OnlineRow> _rows = new();

    public int Reads { get; private set; }

    public override ValueTask<OnlineWriteResult> WriteAsync(string project, string featureView, IReadOnlyList<OnlineRow> rows, CancellationToken cancellationToken = default)
    {
        long written = 0, skipped = 0;
        lock (_rows)
        {
            foreach (var row in rows)
            {
                var key = (project, featureView, row.Key.Canonical);
                if (_rows.TryGetValue(key, out var old) &&
                    (old.EventTimestamp > row.EventTimestamp ||
                     (old.EventTimestamp == row.EventTimestamp && (old.CreatedTimestamp ?? DateTimeOffset.MinValue) > (row.CreatedTimestamp ?? DateTimeOffset.MinValue))))
                {
                    skipped++;
                    continue;
                }

                _rows[key] = row;
                written++;
            }
        }

        return ValueTask.FromResult(new OnlineWriteResult(written, skipped));
    }

    public override ValueTask<IReadOnlyList<OnlineRecord?>> ReadAsync(string project, string featureView, IReadOnlyList<EntityKey> keys, IReadOnlyList<string> features, CancellationToken cancellationToken = default)
    {
        Reads++;
        var result = keys.Select(k => _rows.TryGetValue((project, featureView, k.Canonical), out var row)
            ? new OnlineRecord(row.EventTimestamp, features.Where(row.Values.ContainsKey).ToDictionary(f => f, f => row.Values[f]))
            : null).ToList();
        return ValueTask.FromResult<IReadOnlyList<OnlineRecord?>>(result);
    }

    public override ValueTask DeleteFeatureViewAsync(string project, string featureView, CancellationToken cancellationToken = default)
    {
        foreach (var key in _rows.Keys.Where(k => k.Item1 == project && k.Item2 == featureView).ToList())
        {
            _rows.TryRemove(key, out _);
        }

        return ValueTask.CompletedTask;
    }

    public int Count(string featureView) => _rows.Keys.Count(k => k.Item2 == featureView);
}
