namespace Mlops.Tracking.Registry;

/// <summary>
/// A registered model with all its versions, stored as one document: every registry operation reads and writes one
/// model, so a store only needs get/put/delete/list of documents inside a transaction to have the registry's semantics
/// (see <see cref="DocumentModelRegistryStore"/>). Stores keep it as JSON.
/// </summary>
public sealed class RegisteredModelDocument
{
    /// <summary>The registered model's name (the document's key).</summary>
    public string Name { get; set; } = "";

    /// <summary>Creation time, milliseconds since the Unix epoch.</summary>
    public long Created { get; set; }

    /// <summary>Last update time, milliseconds since the Unix epoch.</summary>
    public long Updated { get; set; }

    /// <summary>The description.</summary>
    public string Description { get; set; } = "";

    /// <summary>The model's tags.</summary>
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Aliases and the version each points at.</summary>
    public Dictionary<string, long> Aliases { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The highest version number ever issued, so a deleted version's number is never reused.</summary>
    public long LastVersion { get; set; }

    /// <summary>The versions, oldest first.</summary>
    public List<ModelVersionDocument> Versions { get; set; } = [];
}

/// <summary>One version inside a <see cref="RegisteredModelDocument"/>.</summary>
public sealed class ModelVersionDocument
{
    /// <summary>The version number.</summary>
    public long Version { get; set; }

    /// <summary>Creation time, milliseconds since the Unix epoch.</summary>
    public long Created { get; set; }

    /// <summary>Last update time, milliseconds since the Unix epoch.</summary>
    public long Updated { get; set; }

    /// <summary>The description.</summary>
    public string Description { get; set; } = "";

    /// <summary>Where the model's files are (e.g. <c>runs:/&lt;run_id&gt;/model</c>).</summary>
    public string Source { get; set; } = "";

    /// <summary>The run that produced it, or empty.</summary>
    public string RunId { get; set; } = "";

    /// <summary>The version's status.</summary>
    public ModelVersionStatus Status { get; set; } = ModelVersionStatus.Ready;

    /// <summary>The version's tags.</summary>
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The documents of a store, seen inside one read or write transaction of <see cref="DocumentModelRegistryStore"/>.</summary>
public interface IRegistryDocuments
{
    /// <summary>The document of a registered model, or null.</summary>
    /// <param name="name">The model's name.</param>
    /// <returns>A copy the caller may change and <see cref="Put"/> back.</returns>
    RegisteredModelDocument? Get(string name);

    /// <summary>Inserts or replaces a document (keyed by its name).</summary>
    /// <param name="document">The document.</param>
    void Put(RegisteredModelDocument document);

    /// <summary>Deletes a document if present.</summary>
    /// <param name="name">The model's name.</param>
    void Delete(string name);

    /// <summary>Every document, by name (ordinal).</summary>
    /// <returns>Copies of the documents.</returns>
    IEnumerable<RegisteredModelDocument> All();
}
