namespace Mlops.Features.FeatureStore.Definitions;

/// <summary>A named, typed feature in a view's schema (Feast's <c>Field</c>).</summary>
/// <param name="Name">The feature's name (letters, digits, underscores).</param>
/// <param name="Type">Its value type.</param>
public sealed record FeatureField(string Name, FeatureValueType Type)
{
    /// <summary>Free-form tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <inheritdoc/>
    public bool Equals(FeatureField? other) =>
        other is not null && Name == other.Name && Type == other.Type && DefinitionEquality.SameTags(Tags, other.Tags);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Type);
}
