namespace Mlops.Features.FeatureStore.Definitions;

/// <summary>
/// A thing features describe (a user, a product), identified by one or more join keys: the columns that an entity
/// frame and a feature view's source share (Feast's <c>Entity</c>).
/// </summary>
public sealed record Entity : IFeatureDefinition
{
    /// <summary>Creates an entity with one join key named like the entity.</summary>
    /// <param name="name">The entity's name, also its join key.</param>
    /// <param name="valueType">The join key's type.</param>
    public Entity(string name, FeatureValueType valueType = FeatureValueType.Int64)
        : this(name, [name], valueType)
    {
    }

    /// <summary>Creates an entity.</summary>
    /// <param name="name">The entity's name.</param>
    /// <param name="joinKeys">Its join keys; several make a composite key.</param>
    /// <param name="valueType">The join keys' type (Int32, Int64, String or Bool).</param>
    [System.Text.Json.Serialization.JsonConstructor]
    public Entity(string name, IReadOnlyList<string> joinKeys, FeatureValueType valueType = FeatureValueType.Int64)
    {
        Name = name;
        JoinKeys = joinKeys;
        ValueType = valueType;
    }

    /// <inheritdoc/>
    public string Name { get; init; }

    /// <summary>The join key columns.</summary>
    public IReadOnlyList<string> JoinKeys { get; init; }

    /// <summary>The join keys' value type.</summary>
    public FeatureValueType ValueType { get; init; }

    /// <summary>What the entity is.</summary>
    public string? Description { get; init; }

    /// <summary>Who owns it.</summary>
    public string? Owner { get; init; }

    /// <summary>Free-form tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <inheritdoc/>
    public string Kind => "entity";

    /// <inheritdoc/>
    public bool Equals(Entity? other) =>
        other is not null && Name == other.Name && JoinKeys.SequenceEqual(other.JoinKeys) && ValueType == other.ValueType &&
        Description == other.Description && Owner == other.Owner && DefinitionEquality.SameTags(Tags, other.Tags);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, ValueType);
}
