using System.Text.Json.Serialization;
using Apache.Arrow;

namespace Mlops.Features.FeatureStore.Definitions;

/// <summary>
/// Computes an on-demand view's features from a batch of inputs: one column per input feature (named by the
/// feature's name) and per request field; returns a batch with one column per <see cref="OnDemandFeatureView.Schema"/>
/// field and the same row count. It runs on the joined frame offline and on the looked-up values online, so the two
/// paths agree; it may run on several threads at once.
/// </summary>
/// <param name="inputs">The input columns.</param>
/// <returns>The computed features.</returns>
public delegate RecordBatch OnDemandTransform(RecordBatch inputs);

/// <summary>
/// Features computed at read time from other views' features and request data (Feast's <c>OnDemandFeatureView</c>,
/// python mode, over columns). The registry keeps its description; the <see cref="Transform"/> is code, so a process
/// that reads the view must have applied it or registered it with the client.
/// </summary>
public sealed record OnDemandFeatureView : IFeatureDefinition
{
    /// <summary>Creates an on-demand view.</summary>
    /// <param name="name">The view's name.</param>
    /// <param name="inputs">The features it reads, as <c>view:feature</c> references.</param>
    /// <param name="schema">The features it produces.</param>
    /// <param name="transform">The computation; null only when read back from the registry.</param>
    public OnDemandFeatureView(string name, IReadOnlyList<string> inputs, IReadOnlyList<FeatureField> schema, OnDemandTransform? transform)
    {
        Name = name;
        Inputs = inputs;
        Schema = schema;
        Transform = transform;
    }

    /// <inheritdoc/>
    public string Name { get; init; }

    /// <summary>The features it reads (<c>view:feature</c>).</summary>
    public IReadOnlyList<string> Inputs { get; init; }

    /// <summary>Fields the request (the entity frame or entity rows) supplies.</summary>
    public IReadOnlyList<FeatureField> RequestSchema { get; init; } = [];

    /// <summary>The features it produces.</summary>
    public IReadOnlyList<FeatureField> Schema { get; init; }

    /// <summary>The computation (not persisted).</summary>
    [JsonIgnore]
    public OnDemandTransform? Transform { get; init; }

    /// <summary>What it computes.</summary>
    public string? Description { get; init; }

    /// <summary>Who owns it.</summary>
    public string? Owner { get; init; }

    /// <summary>Free-form tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <inheritdoc/>
    public string Kind => "on-demand feature view";

    /// <inheritdoc/>
    public bool Equals(OnDemandFeatureView? other) =>
        other is not null && Name == other.Name && Inputs.SequenceEqual(other.Inputs) && RequestSchema.SequenceEqual(other.RequestSchema) &&
        Schema.SequenceEqual(other.Schema) && Description == other.Description && Owner == other.Owner && DefinitionEquality.SameTags(Tags, other.Tags);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Inputs.Count);
}
