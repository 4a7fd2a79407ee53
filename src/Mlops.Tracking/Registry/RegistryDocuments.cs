namespace Mlops.Tracking.Registry;

/// <summary>
/// A registered model with all its versions, stored as one document: every registry operation reads and writes one
/// model, so a store only needs get/put/delete/list of documents inside a transaction to have the registry's semantics.
/// </summary>
internal sealed class RegisteredModelDocument
{
    public string Name { get; set; } = "";
    public long Created { get; set; }
    public long Updated { get; set; }
    public string Description { get; set; } = "";
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> Aliases { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The highest version number ever issued, so a deleted version's number is never reused.</summary>
    public long LastVersion { get; set; }

    public List<ModelVersionDocument> Versions { get; set; } = [];
}

internal sealed class ModelVersionDocument
{
    public long Version { get; set; }
    public long Created { get; set; }
    public long Updated { get; set; }
    public string Description { get; set; } = "";
    public string Source { get; set; } = "";
    public string RunId { get; set; } = "";
    public ModelVersionStatus Status { get; set; } = ModelVersionStatus.Ready;
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The documents of a store, seen inside one read or write transaction.</summary>
internal interface IRegistryDocuments
{
    RegisteredModelDocument? Get(string name);

    void Put(RegisteredModelDocument document);

    void Delete(string name);

    IEnumerable<RegisteredModelDocument> All();
}
