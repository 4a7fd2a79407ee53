using System.Text.Json;
using System.Text.Json.Serialization;
using Mlops.Features.FeatureStore.Definitions;

namespace Mlops.Features.FeatureStore.Registry;

/// <summary>The registry's content for one project at one moment: definitions by name and materialization intervals per view. Immutable.</summary>
public sealed class RegistrySnapshot
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Creates a snapshot.</summary>
    /// <param name="project">The project.</param>
    /// <param name="version">Increases with every apply or recorded materialization.</param>
    /// <param name="definitions">The definitions.</param>
    /// <param name="materializations">Intervals per view name.</param>
    public RegistrySnapshot(string project, long version, IEnumerable<IFeatureDefinition> definitions, IReadOnlyDictionary<string, IReadOnlyList<MaterializationInterval>>? materializations = null)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        Project = project;
        Version = version;
        var list = definitions.ToList();
        Entities = list.OfType<Entity>().ToDictionary(e => e.Name, StringComparer.Ordinal);
        FeatureViews = list.OfType<FeatureView>().ToDictionary(e => e.Name, StringComparer.Ordinal);
        OnDemandFeatureViews = list.OfType<OnDemandFeatureView>().ToDictionary(e => e.Name, StringComparer.Ordinal);
        FeatureServices = list.OfType<FeatureService>().ToDictionary(e => e.Name, StringComparer.Ordinal);
        Materializations = materializations ?? new Dictionary<string, IReadOnlyList<MaterializationInterval>>();
    }

    /// <summary>The project.</summary>
    public string Project { get; }

    /// <summary>Increases with every change.</summary>
    public long Version { get; }

    /// <summary>Entities by name.</summary>
    public IReadOnlyDictionary<string, Entity> Entities { get; }

    /// <summary>Feature views by name.</summary>
    public IReadOnlyDictionary<string, FeatureView> FeatureViews { get; }

    /// <summary>On-demand feature views by name (their transforms are not persisted: null here unless applied in this process).</summary>
    public IReadOnlyDictionary<string, OnDemandFeatureView> OnDemandFeatureViews { get; }

    /// <summary>Feature services by name.</summary>
    public IReadOnlyDictionary<string, FeatureService> FeatureServices { get; }

    /// <summary>Materialized intervals per feature view, oldest first.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<MaterializationInterval>> Materializations { get; }

    /// <summary>Every definition, by kind then name.</summary>
    public IEnumerable<IFeatureDefinition> Definitions =>
        Entities.Values.Cast<IFeatureDefinition>().Concat(FeatureViews.Values).Concat(OnDemandFeatureViews.Values).Concat(FeatureServices.Values)
            .OrderBy(d => d.Kind, StringComparer.Ordinal).ThenBy(d => d.Name, StringComparer.Ordinal);

    /// <summary>The JSON document the registries persist.</summary>
    internal string ToJson() => JsonSerializer.Serialize(
        new Document
        {
            Project = Project,
            Version = Version,
            Entities = Entities.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList(),
            FeatureViews = FeatureViews.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList(),
            OnDemandFeatureViews = OnDemandFeatureViews.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList(),
            FeatureServices = FeatureServices.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList(),
            Materializations = Materializations.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal),
        },
        Json);

    /// <summary>Reads a document written by <see cref="ToJson"/>.</summary>
    /// <exception cref="DataFormatException">The document is not a registry.</exception>
    internal static RegistrySnapshot FromJson(string json, string where)
    {
        Document? document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(json, Json);
        }
        catch (JsonException e)
        {
            throw new DataFormatException($"not a feature registry document: {e.Message}", where, innerException: e);
        }

        if (document?.Project is null)
        {
            throw new DataFormatException("not a feature registry document (no project)", where);
        }

        IEnumerable<IFeatureDefinition> definitions = [.. document.Entities, .. document.FeatureViews, .. document.OnDemandFeatureViews, .. document.FeatureServices];
        return new RegistrySnapshot(
            document.Project,
            document.Version,
            definitions,
            document.Materializations.ToDictionary(p => p.Key, p => (IReadOnlyList<MaterializationInterval>)p.Value, StringComparer.Ordinal));
    }

    private sealed class Document
    {
        public string? Project { get; set; }

        public long Version { get; set; }

        public List<Entity> Entities { get; set; } = [];

        public List<FeatureView> FeatureViews { get; set; } = [];

        public List<OnDemandFeatureView> OnDemandFeatureViews { get; set; } = [];

        public List<FeatureService> FeatureServices { get; set; } = [];

        public Dictionary<string, List<MaterializationInterval>> Materializations { get; set; } = [];
    }
}
