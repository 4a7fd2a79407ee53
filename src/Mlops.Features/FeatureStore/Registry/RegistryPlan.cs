using Mlops.Features.FeatureStore.Definitions;

namespace Mlops.Features.FeatureStore.Registry;

/// <summary>What applying a set of definitions does to one object (Feast's <c>TransitionType</c>).</summary>
public enum RegistryChangeType
{
    /// <summary>The object is new.</summary>
    Create,

    /// <summary>The object exists and changes.</summary>
    Update,

    /// <summary>The object is removed (only with <c>deleteMissing</c>).</summary>
    Delete,

    /// <summary>The object stays as it is (given unchanged, or kept because it was not given and nothing is deleted).</summary>
    Unchanged,
}

/// <summary>One object's change in a plan.</summary>
/// <param name="Kind">The object's kind (<see cref="IFeatureDefinition.Kind"/>).</param>
/// <param name="Name">The object's name.</param>
/// <param name="Change">What happens to it.</param>
public sealed record RegistryChange(string Kind, string Name, RegistryChangeType Change)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Change} {Kind} '{Name}'";
}

/// <summary>The diff of a plan or an apply: one entry per object in the registry before or after, ordered by kind and name.</summary>
/// <param name="Changes">The entries.</param>
public sealed record RegistryPlan(IReadOnlyList<RegistryChange> Changes)
{
    /// <summary>Whether applying changes anything.</summary>
    public bool HasChanges => Changes.Any(c => c.Change != RegistryChangeType.Unchanged);

    /// <summary>The entries of one change type.</summary>
    public IEnumerable<RegistryChange> Of(RegistryChangeType change) => Changes.Where(c => c.Change == change);

    /// <inheritdoc/>
    public override string ToString() => string.Join(Environment.NewLine, Changes);
}

/// <summary>A time range materialized for a view, recorded in the registry; <c>MaterializeIncremental</c> resumes after the latest.</summary>
/// <param name="Start">Inclusive start.</param>
/// <param name="End">Exclusive end.</param>
public sealed record MaterializationInterval(DateTimeOffset Start, DateTimeOffset End);
