namespace Mlops.Features.FeatureStore.Definitions;

/// <summary>
/// A group of features over one source, keyed by entities (Feast's <c>FeatureView</c>). <see cref="Ttl"/> bounds how
/// far back a point-in-time join looks from each entity row (zero: forever) and how old an online value may be.
/// </summary>
public sealed record FeatureView : IFeatureDefinition
{
    /// <summary>Creates a feature view.</summary>
    /// <param name="name">The view's name.</param>
    /// <param name="source">Where its rows come from.</param>
    /// <param name="entities">The names of its entities; their join keys together are the view's key.</param>
    /// <param name="schema">Its features.</param>
    public FeatureView(string name, DataSource source, IReadOnlyList<string> entities, IReadOnlyList<FeatureField> schema)
    {
        Name = name;
        Source = source;
        Entities = entities;
        Schema = schema;
    }

    /// <inheritdoc/>
    public string Name { get; init; }

    /// <summary>Where its rows come from.</summary>
    public DataSource Source { get; init; }

    /// <summary>Its entities' names.</summary>
    public IReadOnlyList<string> Entities { get; init; }

    /// <summary>Its features.</summary>
    public IReadOnlyList<FeatureField> Schema { get; init; }

    /// <summary>The lookback of point-in-time joins and the maximum age of online values; zero means forever.</summary>
    public TimeSpan Ttl { get; init; }

    /// <summary>Whether the view is materialized to and served from the online store.</summary>
    public bool Online { get; init; } = true;

    /// <summary>Whether pushes may write to its offline (batch) source.</summary>
    public bool Offline { get; init; }

    /// <summary>What it holds.</summary>
    public string? Description { get; init; }

    /// <summary>Who owns it.</summary>
    public string? Owner { get; init; }

    /// <summary>Free-form tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <inheritdoc/>
    public string Kind => "feature view";

    /// <summary>The feature named <paramref name="feature"/>, or null.</summary>
    public FeatureField? FindFeature(string feature) => Schema.FirstOrDefault(f => f.Name == feature);

    /// <inheritdoc/>
    public bool Equals(FeatureView? other) =>
        other is not null && Name == other.Name && Equals(Source, other.Source) && Entities.SequenceEqual(other.Entities) &&
        Schema.SequenceEqual(other.Schema) && Ttl == other.Ttl && Online == other.Online && Offline == other.Offline &&
        Description == other.Description && Owner == other.Owner && DefinitionEquality.SameTags(Tags, other.Tags);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Source, Ttl);
}
