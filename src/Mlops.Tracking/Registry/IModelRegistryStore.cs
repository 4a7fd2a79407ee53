namespace Mlops.Tracking.Registry;

/// <summary>Where registered models, versions, tags and aliases live (SQLite, MLflow REST, or in memory).</summary>
public interface IModelRegistryStore
{
    /// <summary>Creates a registered model.</summary>
    /// <exception cref="MlflowException">The name is taken (RESOURCE_ALREADY_EXISTS) or invalid.</exception>
    Task<RegisteredModel> CreateRegisteredModelAsync(string name, IReadOnlyDictionary<string, string>? tags = null, string? description = null, CancellationToken cancellationToken = default);

    /// <summary>Gets a registered model (RESOURCE_DOES_NOT_EXIST if missing).</summary>
    Task<RegisteredModel> GetRegisteredModelAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Renames a registered model, with its versions and aliases.</summary>
    Task<RegisteredModel> RenameRegisteredModelAsync(string name, string newName, CancellationToken cancellationToken = default);

    /// <summary>Sets a registered model's description.</summary>
    Task<RegisteredModel> UpdateRegisteredModelAsync(string name, string description, CancellationToken cancellationToken = default);

    /// <summary>Deletes a registered model and all its versions, tags and aliases.</summary>
    Task DeleteRegisteredModelAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Searches registered models: filter on <c>name</c> and <c>tags.&lt;key&gt;</c> (=, !=, LIKE, ILIKE), order_by name/creation/last_updated.</summary>
    Task<PagedList<RegisteredModel>> SearchRegisteredModelsAsync(string? filter = null, int maxResults = 100, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default);

    /// <summary>Sets a tag on a registered model.</summary>
    Task SetRegisteredModelTagAsync(string name, string key, string value, CancellationToken cancellationToken = default);

    /// <summary>Deletes a tag of a registered model.</summary>
    Task DeleteRegisteredModelTagAsync(string name, string key, CancellationToken cancellationToken = default);

    /// <summary>Creates the next version of a registered model from a source such as <c>runs:/&lt;run_id&gt;/model</c>.</summary>
    Task<ModelVersion> CreateModelVersionAsync(string name, string source, string? runId = null, IReadOnlyDictionary<string, string>? tags = null, string? description = null, CancellationToken cancellationToken = default);

    /// <summary>Gets a model version (RESOURCE_DOES_NOT_EXIST if missing).</summary>
    Task<ModelVersion> GetModelVersionAsync(string name, string version, CancellationToken cancellationToken = default);

    /// <summary>Sets a model version's description.</summary>
    Task<ModelVersion> UpdateModelVersionAsync(string name, string version, string description, CancellationToken cancellationToken = default);

    /// <summary>Deletes a model version (its number is never reused) and the aliases pointing at it.</summary>
    Task DeleteModelVersionAsync(string name, string version, CancellationToken cancellationToken = default);

    /// <summary>Searches model versions: filter on <c>name</c>, <c>run_id</c> (also IN), <c>source_path</c>, <c>tags.&lt;key&gt;</c>.</summary>
    Task<PagedList<ModelVersion>> SearchModelVersionsAsync(string? filter = null, int maxResults = 10000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default);

    /// <summary>Sets a tag on a model version.</summary>
    Task SetModelVersionTagAsync(string name, string version, string key, string value, CancellationToken cancellationToken = default);

    /// <summary>Deletes a tag of a model version.</summary>
    Task DeleteModelVersionTagAsync(string name, string version, string key, CancellationToken cancellationToken = default);

    /// <summary>Points an alias (such as <c>champion</c>) at a version, moving it if it pointed elsewhere.</summary>
    Task SetRegisteredModelAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default);

    /// <summary>Removes an alias.</summary>
    Task DeleteRegisteredModelAliasAsync(string name, string alias, CancellationToken cancellationToken = default);

    /// <summary>The version an alias points at (RESOURCE_DOES_NOT_EXIST if the alias is not set).</summary>
    Task<ModelVersion> GetModelVersionByAliasAsync(string name, string alias, CancellationToken cancellationToken = default);
}
