namespace Mlops.Features.FeatureStore.Definitions;

/// <summary>The features a model reads, by name (Feast's <c>FeatureService</c>); applying one deploys nothing.</summary>
public sealed record FeatureService : IFeatureDefinition
{
    /// <summary>Creates a feature service.</summary>
    /// <param name="name">The service's name.</param>
    /// <param name="features">The views (all their features) or selected features of views, in output order.</param>
    public FeatureService(string name, IReadOnlyList<FeatureViewSelection> features)
    {
        Name = name;
        Features = features;
    }

    /// <inheritdoc/>
    public string Name { get; init; }

    /// <summary>The selections, in output order.</summary>
    public IReadOnlyList<FeatureViewSelection> Features { get; init; }

    /// <summary>What it serves.</summary>
    public string? Description { get; init; }

    /// <summary>Who owns it.</summary>
    public string? Owner { get; init; }

    /// <summary>Free-form tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <inheritdoc/>
    public string Kind => "feature service";

    /// <inheritdoc/>
    public bool Equals(FeatureService? other) =>
        other is not null && Name == other.Name && Features.SequenceEqual(other.Features) && Description == other.Description &&
        Owner == other.Owner && DefinitionEquality.SameTags(Tags, other.Tags);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Features.Count);
}

/// <summary>A view (feature or on-demand) in a <see cref="FeatureService"/>, with all its features or the ones named.</summary>
/// <param name="View">The view's name.</param>
/// <param name="Features">The selected features, or null for all, in schema order.</param>
public sealed record FeatureViewSelection(string View, IReadOnlyList<string>? Features = null)
{
    /// <inheritdoc/>
    public bool Equals(FeatureViewSelection? other) =>
        other is not null && View == other.View &&
        (Features is null ? other.Features is null : other.Features is not null && Features.SequenceEqual(other.Features));

    /// <inheritdoc/>
    public override int GetHashCode() => View.GetHashCode(StringComparison.Ordinal);
}
