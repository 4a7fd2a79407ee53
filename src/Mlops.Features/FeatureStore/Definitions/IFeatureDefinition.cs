namespace Mlops.Features.FeatureStore.Definitions;

/// <summary>An object the registry stores: an entity, a source, a feature view, an on-demand view or a feature service.</summary>
public interface IFeatureDefinition
{
    /// <summary>The object's name, unique within its kind in a project.</summary>
    string Name { get; }

    /// <summary>The kind, as plans and errors name it: <c>entity</c>, <c>source</c>, <c>feature view</c>, <c>on-demand feature view</c> or <c>feature service</c>.</summary>
    string Kind { get; }
}

/// <summary>Value equality helpers for definitions holding collections.</summary>
internal static class DefinitionEquality
{
    public static bool SameTags(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    public static bool SameMap(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) => SameTags(a, b);
}
