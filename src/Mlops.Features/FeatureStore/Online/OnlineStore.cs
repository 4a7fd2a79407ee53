namespace Mlops.Features.FeatureStore.Online;

/// <summary>
/// Where the latest feature values per entity live for serving (Feast's online store): SQLite (embedded default),
/// Redis (package Mlops.Features.Redis) and the in-memory twin in Mlops.Testing all derive from this base and pass one
/// contract suite. A store keeps, per (project, feature view, entity key), the newest row only: a write whose event
/// timestamp is older than the stored one is skipped (equal timestamps: the later created timestamp wins, then the
/// write). Statuses and TTL are decided above the store, by the feature store against its clock, from the event
/// timestamps the store returns. Unsealed with a protected constructor so consumers can fake it.
/// </summary>
public abstract class OnlineStore : IAsyncDisposable
{
    /// <summary>For implementations and test doubles.</summary>
    protected OnlineStore()
    {
    }

    /// <summary>Writes rows of one feature view, newer-wins per entity key; returns how many rows were stored and skipped.</summary>
    /// <param name="project">The feature store's project.</param>
    /// <param name="featureView">The feature view's name.</param>
    /// <param name="rows">The rows; one entity key may appear more than once (the newest wins).</param>
    /// <param name="cancellationToken">Cancels the write; rows already acknowledged stay.</param>
    public abstract ValueTask<OnlineWriteResult> WriteAsync(string project, string featureView, IReadOnlyList<OnlineRow> rows, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the stored rows of one view for many entity keys in one round trip; the result has one element per key, in
    /// order, null where the key has no row. Only the named features are returned (a feature never written is absent
    /// from <see cref="OnlineRecord.Values"/>).
    /// </summary>
    public abstract ValueTask<IReadOnlyList<OnlineRecord?>> ReadAsync(string project, string featureView, IReadOnlyList<EntityKey> keys, IReadOnlyList<string> features, CancellationToken cancellationToken = default);

    /// <summary>Removes every row of a view (when the registry deletes the view, or a test resets it).</summary>
    public abstract ValueTask DeleteFeatureViewAsync(string project, string featureView, CancellationToken cancellationToken = default);

    /// <inheritdoc/>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// An entity key: the join keys' names (sorted by name, ordinal) and values. Values are <see cref="long"/>, <see cref="int"/>,
/// <see cref="string"/> or <see cref="bool"/>; <see cref="Canonical"/> is the one serialized form every store keys on, so
/// 42 as int and 42 as long are the same key.
/// </summary>
public sealed class EntityKey : IEquatable<EntityKey>
{
    /// <summary>Creates a key from join-key names and values (any order; they are sorted by name).</summary>
    /// <exception cref="ArgumentException">No keys, a duplicate name, or a value of an unsupported type (the message names the key).</exception>
    public EntityKey(IEnumerable<KeyValuePair<string, object>> joinKeys)
    {
        ArgumentNullException.ThrowIfNull(joinKeys);
        var pairs = joinKeys.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        if (pairs.Length == 0)
        {
            throw new ArgumentException("An entity key needs at least one join key.", nameof(joinKeys));
        }

        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < pairs.Length; i++)
        {
            var (name, value) = (pairs[i].Key, pairs[i].Value);
            if (i > 0 && pairs[i - 1].Key == name)
            {
                throw new ArgumentException($"Join key '{name}' appears twice in one entity key.", nameof(joinKeys));
            }

            var text = value switch
            {
                long l => "i:" + l.ToString(System.Globalization.CultureInfo.InvariantCulture),
                int n => "i:" + n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                string s => "s:" + s,
                bool b => b ? "b:1" : "b:0",
                null => throw new ArgumentException($"Join key '{name}' is null; an entity key needs a value.", nameof(joinKeys)),
                _ => throw new ArgumentException($"Join key '{name}' has a value of type {value.GetType().Name}; join keys are long, int, string or bool.", nameof(joinKeys)),
            };

            // Length-prefixed parts, so no name or string value can collide with another key's encoding.
            builder.Append(name.Length).Append(':').Append(name).Append('=').Append(text.Length).Append(':').Append(text).Append(';');
        }

        Names = pairs.Select(p => p.Key).ToArray();
        Values = pairs.Select(p => p.Value is int n ? (object)(long)n : p.Value).ToArray();
        Canonical = builder.ToString();
    }

    /// <summary>The join-key names, sorted (ordinal).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The values in the order of <see cref="Names"/> (int widened to long).</summary>
    public IReadOnlyList<object> Values { get; }

    /// <summary>The serialized key every store uses (stable across processes and versions).</summary>
    public string Canonical { get; }

    /// <summary>A key of one join key.</summary>
    public static EntityKey Of(string name, object value) => new([new KeyValuePair<string, object>(name, value)]);

    /// <inheritdoc/>
    public bool Equals(EntityKey? other) => other is not null && string.Equals(Canonical, other.Canonical, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EntityKey);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Canonical);

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", Names.Select((n, i) => $"{n}={Values[i]}"));
}

/// <summary>
/// One row to store online: the entity key, the event timestamp, the created timestamp (tie-break) and the feature
/// values (<see cref="long"/>, <see cref="int"/>, <see cref="double"/>, <see cref="float"/>, <see cref="bool"/>,
/// <see cref="string"/>, <c>byte[]</c>, <c>float[]</c>, <c>double[]</c>, <c>long[]</c> or null).
/// </summary>
/// <param name="Key">The entity key.</param>
/// <param name="EventTimestamp">When the values were true (the source's timestamp field).</param>
/// <param name="CreatedTimestamp">When the row was written to the source, or null.</param>
/// <param name="Values">Feature name to value.</param>
public sealed record OnlineRow(EntityKey Key, DateTimeOffset EventTimestamp, DateTimeOffset? CreatedTimestamp, IReadOnlyDictionary<string, object?> Values);

/// <summary>What a store holds for one entity key of one view.</summary>
/// <param name="EventTimestamp">The stored row's event timestamp.</param>
/// <param name="Values">The requested features that were written, by name (a value may be null).</param>
public sealed record OnlineRecord(DateTimeOffset EventTimestamp, IReadOnlyDictionary<string, object?> Values);

/// <summary>The outcome of a write.</summary>
/// <param name="Written">Rows stored.</param>
/// <param name="SkippedOlder">Rows skipped because a newer row was already stored for their key.</param>
public sealed record OnlineWriteResult(long Written, long SkippedOlder);
