using System.Text.RegularExpressions;

namespace Mlops.Features.FeatureStore.Definitions;

/// <summary>Checks a set of definitions as a whole, as the registry does before it applies them.</summary>
public static partial class FeatureDefinitions
{
    /// <summary>
    /// Validates names, references and types: every view's entities exist, join keys do not clash with features, an
    /// on-demand view's inputs exist, a service's selections exist, names are unique per kind.
    /// </summary>
    /// <param name="definitions">The complete set (what the registry will hold).</param>
    /// <exception cref="FeatureDefinitionException">The first problem found, naming the object and field.</exception>
    public static void Validate(IEnumerable<IFeatureDefinition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var all = definitions.ToList();
        var entities = new Dictionary<string, Entity>(StringComparer.Ordinal);
        var views = new Dictionary<string, FeatureView>(StringComparer.Ordinal);
        var onDemand = new Dictionary<string, OnDemandFeatureView>(StringComparer.Ordinal);
        foreach (var definition in all)
        {
            if (definition is null)
            {
                throw new FeatureDefinitionException("A definition is null.");
            }

            RequireName(definition.Kind, definition.Name, "Name", definition.Name);
            var added = definition switch
            {
                Entity e => entities.TryAdd(e.Name, e),
                FeatureView v => views.TryAdd(v.Name, v) && !onDemand.ContainsKey(v.Name),
                OnDemandFeatureView o => onDemand.TryAdd(o.Name, o) && !views.ContainsKey(o.Name),
                FeatureService => true,
                _ => throw new FeatureDefinitionException($"{definition.GetType().Name} '{definition.Name}' is not a definition the registry stores."),
            };
            if (!added)
            {
                throw new FeatureDefinitionException($"{definition.Kind} '{definition.Name}': the name is used twice (views and on-demand views share one namespace).");
            }
        }

        var services = new HashSet<string>(StringComparer.Ordinal);
        foreach (var definition in all)
        {
            switch (definition)
            {
                case Entity e:
                    ValidateEntity(e);
                    break;
                case FeatureView v:
                    ValidateView(v, entities);
                    break;
                case OnDemandFeatureView o:
                    ValidateOnDemand(o, views);
                    break;
                case FeatureService s:
                    if (!services.Add(s.Name))
                    {
                        throw new FeatureDefinitionException($"feature service '{s.Name}': the name is used twice.");
                    }

                    ValidateService(s, views, onDemand);
                    break;
            }
        }
    }

    /// <summary>The join keys of a view, in its entities' order.</summary>
    internal static IReadOnlyList<string> JoinKeys(FeatureView view, IReadOnlyDictionary<string, Entity> entities) =>
        view.Entities.SelectMany(e => entities.TryGetValue(e, out var entity)
            ? entity.JoinKeys
            : throw new FeatureReferenceException($"Feature view '{view.Name}' names entity '{e}', which the registry does not have.")).ToArray();

    private static void ValidateEntity(Entity e)
    {
        if (e.JoinKeys is null || e.JoinKeys.Count == 0)
        {
            throw new FeatureDefinitionException($"entity '{e.Name}': JoinKeys needs at least one column.");
        }

        foreach (var key in e.JoinKeys)
        {
            RequireName("entity", e.Name, "JoinKeys", key);
        }

        if (e.ValueType is not (FeatureValueType.Int32 or FeatureValueType.Int64 or FeatureValueType.String or FeatureValueType.Bool))
        {
            throw new FeatureDefinitionException($"entity '{e.Name}': ValueType {e.ValueType} cannot be a join key; use Int32, Int64, String or Bool.");
        }
    }

    private static void ValidateView(FeatureView v, Dictionary<string, Entity> entities)
    {
        if (v.Source is null)
        {
            throw new FeatureDefinitionException($"feature view '{v.Name}': Source is required.");
        }

        RequireName("feature view", v.Name, "Source.Name", v.Source.Name);
        if (string.IsNullOrWhiteSpace(v.Source.TimestampField))
        {
            throw new FeatureDefinitionException($"feature view '{v.Name}': Source.TimestampField is required.");
        }

        if (v.Source is FileSource file && string.IsNullOrWhiteSpace(file.Path))
        {
            throw new FeatureDefinitionException($"feature view '{v.Name}': Source.Path is required.");
        }

        if (v.Entities is null || v.Entities.Count == 0)
        {
            throw new FeatureDefinitionException($"feature view '{v.Name}': Entities needs at least one entity.");
        }

        if (v.Ttl < TimeSpan.Zero)
        {
            throw new FeatureDefinitionException($"feature view '{v.Name}': Ttl is negative ({v.Ttl}); use zero for forever.");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in v.Entities)
        {
            if (!entities.TryGetValue(name, out var entity))
            {
                throw new FeatureDefinitionException($"feature view '{v.Name}': Entities names '{name}', which is not an entity in this set.");
            }

            foreach (var key in entity.JoinKeys)
            {
                if (!keys.Add(key))
                {
                    throw new FeatureDefinitionException($"feature view '{v.Name}': join key '{key}' comes from two entities.");
                }
            }
        }

        if (v.Schema is null || v.Schema.Count == 0)
        {
            throw new FeatureDefinitionException($"feature view '{v.Name}': Schema needs at least one feature.");
        }

        var features = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in v.Schema)
        {
            RequireName("feature view", v.Name, "Schema", f.Name);
            if (!features.Add(f.Name))
            {
                throw new FeatureDefinitionException($"feature view '{v.Name}': feature '{f.Name}' appears twice in Schema.");
            }

            if (keys.Contains(f.Name) || f.Name == v.Source.TimestampField || f.Name == v.Source.CreatedTimestampField)
            {
                throw new FeatureDefinitionException($"feature view '{v.Name}': feature '{f.Name}' is also a join key or timestamp column.");
            }
        }
    }

    private static void ValidateOnDemand(OnDemandFeatureView o, Dictionary<string, FeatureView> views)
    {
        if (o.Schema is null || o.Schema.Count == 0)
        {
            throw new FeatureDefinitionException($"on-demand feature view '{o.Name}': Schema needs at least one feature.");
        }

        var inputNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in o.Inputs ?? [])
        {
            var (view, feature) = FeatureReference.Parse(input, $"on-demand feature view '{o.Name}': Inputs");
            if (!views.TryGetValue(view, out var v) || v.FindFeature(feature) is null)
            {
                throw new FeatureDefinitionException($"on-demand feature view '{o.Name}': input '{input}' is not a feature of a feature view in this set.");
            }

            if (!inputNames.Add(feature))
            {
                throw new FeatureDefinitionException($"on-demand feature view '{o.Name}': two inputs are named '{feature}'; the transform sees inputs by feature name.");
            }
        }

        foreach (var field in o.RequestSchema ?? [])
        {
            RequireName("on-demand feature view", o.Name, "RequestSchema", field.Name);
            if (!inputNames.Add(field.Name))
            {
                throw new FeatureDefinitionException($"on-demand feature view '{o.Name}': request field '{field.Name}' has the name of an input.");
            }
        }

        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in o.Schema)
        {
            RequireName("on-demand feature view", o.Name, "Schema", f.Name);
            if (!outputs.Add(f.Name))
            {
                throw new FeatureDefinitionException($"on-demand feature view '{o.Name}': feature '{f.Name}' appears twice in Schema.");
            }
        }
    }

    private static void ValidateService(FeatureService s, Dictionary<string, FeatureView> views, Dictionary<string, OnDemandFeatureView> onDemand)
    {
        if (s.Features is null || s.Features.Count == 0)
        {
            throw new FeatureDefinitionException($"feature service '{s.Name}': Features needs at least one view.");
        }

        foreach (var selection in s.Features)
        {
            IReadOnlyList<FeatureField> schema = views.TryGetValue(selection.View, out var v) ? v.Schema
                : onDemand.TryGetValue(selection.View, out var o) ? o.Schema
                : throw new FeatureDefinitionException($"feature service '{s.Name}': Features names view '{selection.View}', which is not in this set.");
            foreach (var feature in selection.Features ?? [])
            {
                if (!schema.Any(f => f.Name == feature))
                {
                    throw new FeatureDefinitionException($"feature service '{s.Name}': view '{selection.View}' has no feature '{feature}'.");
                }
            }
        }
    }

    private static void RequireName(string kind, string owner, string field, string? name)
    {
        if (string.IsNullOrEmpty(name) || !NamePattern().IsMatch(name))
        {
            throw new FeatureDefinitionException($"{kind} '{owner}': {field} '{name}' is not a valid name (letters, digits, '_' and '-', starting with a letter or '_').");
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_\\-]*$")]
    private static partial Regex NamePattern();
}

/// <summary>Parses <c>view:feature</c> references.</summary>
internal static class FeatureReference
{
    public static (string View, string Feature) Parse(string reference, string where)
    {
        var colon = reference?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (reference is null || colon <= 0 || colon == reference.Length - 1 || reference.IndexOf(':', colon + 1) >= 0)
        {
            throw new FeatureReferenceException($"{where}: '{reference}' is not a feature reference; write 'view:feature'.");
        }

        return (reference[..colon], reference[(colon + 1)..]);
    }
}
