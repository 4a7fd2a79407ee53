using System.Globalization;
using Mlops.Tracking.Search;

namespace Mlops.Tracking.Registry;

/// <summary>
/// The model registry's semantics (MLflow's), written once over <see cref="IRegistryDocuments"/>; the SQLite store and
/// the in-memory store of Mlops.Testing differ only in how documents are kept and transactions taken, so they cannot
/// drift. Every operation validates its arguments (throwing <see cref="MlflowException"/> with MLflow's codes) and
/// completes synchronously: a store's primitives are local (a SQLite file, memory).
/// </summary>
public abstract class DocumentModelRegistryStore : IModelRegistryStore
{
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the store with a clock for timestamps.</summary>
    /// <param name="timeProvider">The clock; the system clock if null.</param>
    protected DocumentModelRegistryStore(TimeProvider? timeProvider)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Runs <paramref name="action"/> over the documents as one consistent read.</summary>
    /// <typeparam name="T">What the action returns.</typeparam>
    /// <param name="action">The read.</param>
    /// <returns>What the action returned.</returns>
    protected abstract T Read<T>(Func<IRegistryDocuments, T> action);

    /// <summary>Runs <paramref name="action"/> over the documents as one transaction: all of its changes are kept, or none if it throws.</summary>
    /// <typeparam name="T">What the action returns.</typeparam>
    /// <param name="action">The read and writes.</param>
    /// <returns>What the action returned.</returns>
    protected abstract T Write<T>(Func<IRegistryDocuments, T> action);

    private long Now() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <inheritdoc/>
    public Task<RegisteredModel> CreateRegisteredModelAsync(string name, IReadOnlyDictionary<string, string>? tags = null, string? description = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(name);
        return Task.FromResult(Write(documents =>
        {
            if (documents.Get(name) is not null)
            {
                throw MlflowException.AlreadyExists($"Registered Model (name={name}) already exists.");
            }

            var now = Now();
            var document = new RegisteredModelDocument { Name = name, Created = now, Updated = now, Description = description ?? "" };
            foreach (var tag in tags ?? new Dictionary<string, string>())
            {
                TrackingValidation.ValidateTag(new RunTag(tag.Key, tag.Value));
                document.Tags[tag.Key] = tag.Value;
            }

            documents.Put(document);
            return ToModel(document);
        }));
    }

    /// <inheritdoc/>
    public Task<RegisteredModel> GetRegisteredModelAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(documents => ToModel(Require(documents, name))));

    /// <inheritdoc/>
    public Task<RegisteredModel> RenameRegisteredModelAsync(string name, string newName, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(newName);
        return Task.FromResult(Write(documents =>
        {
            var document = Require(documents, name);
            if (documents.Get(newName) is not null)
            {
                throw MlflowException.AlreadyExists($"Registered Model (name={newName}) already exists.");
            }

            documents.Delete(name);
            document.Name = newName;
            document.Updated = Now();
            documents.Put(document);
            return ToModel(document);
        }));
    }

    /// <inheritdoc/>
    public Task<RegisteredModel> UpdateRegisteredModelAsync(string name, string description, CancellationToken cancellationToken = default) =>
        Task.FromResult(Write(documents =>
        {
            var document = Require(documents, name);
            document.Description = description ?? "";
            document.Updated = Now();
            documents.Put(document);
            return ToModel(document);
        }));

    /// <inheritdoc/>
    public Task DeleteRegisteredModelAsync(string name, CancellationToken cancellationToken = default)
    {
        Write(documents =>
        {
            Require(documents, name);
            documents.Delete(name);
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<PagedList<RegisteredModel>> SearchRegisteredModelsAsync(string? filter = null, int maxResults = 100, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateMaxResults(maxResults);
        var clauses = RegistryFilter.Parse(filter, forVersions: false);
        var offset = PageToken.Decode(pageToken);
        var models = Read(documents => documents.All().Select(ToModel).ToList())
            .Where(m => clauses.All(c => RegistryFilter.Matches(c, m.Name, null, null, m.Tags)));
        var sorted = RegistryFilter.Order(models, orderBy, m => m.Name, m => m.CreationTimestamp, m => m.LastUpdatedTimestamp, m => 0).ToList();
        return Task.FromResult(Page(sorted, maxResults, offset));
    }

    /// <inheritdoc/>
    public Task SetRegisteredModelTagAsync(string name, string key, string value, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateTag(new RunTag(key, value));
        Update(name, document => document.Tags[key] = value);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteRegisteredModelTagAsync(string name, string key, CancellationToken cancellationToken = default)
    {
        Update(name, document =>
        {
            if (!document.Tags.Remove(key))
            {
                throw MlflowException.NotFound($"No tag with name: {key} on registered model {name}");
            }
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<ModelVersion> CreateModelVersionAsync(string name, string source, string? runId = null, IReadOnlyDictionary<string, string>? tags = null, string? description = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        if (runId is null && ModelUri.TryParseRunsUri(source, out var sourceRunId, out _))
        {
            runId = sourceRunId;
        }

        return Task.FromResult(Write(documents =>
        {
            var document = Require(documents, name);
            var now = Now();
            var version = new ModelVersionDocument
            {
                Version = ++document.LastVersion,
                Created = now,
                Updated = now,
                Description = description ?? "",
                Source = source,
                RunId = runId ?? "",
            };
            foreach (var tag in tags ?? new Dictionary<string, string>())
            {
                TrackingValidation.ValidateTag(new RunTag(tag.Key, tag.Value));
                version.Tags[tag.Key] = tag.Value;
            }

            document.Versions.Add(version);
            document.Updated = now;
            documents.Put(document);
            return ToVersion(document, version);
        }));
    }

    /// <inheritdoc/>
    public Task<ModelVersion> GetModelVersionAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        var number = RegistryNames.ParseVersion(version);
        return Task.FromResult(Read(documents =>
        {
            var document = Require(documents, name);
            return ToVersion(document, RequireVersion(document, number));
        }));
    }

    /// <inheritdoc/>
    public Task<ModelVersion> UpdateModelVersionAsync(string name, string version, string description, CancellationToken cancellationToken = default)
    {
        var number = RegistryNames.ParseVersion(version);
        return Task.FromResult(Write(documents =>
        {
            var document = Require(documents, name);
            var entry = RequireVersion(document, number);
            entry.Description = description ?? "";
            entry.Updated = Now();
            documents.Put(document);
            return ToVersion(document, entry);
        }));
    }

    /// <inheritdoc/>
    public Task DeleteModelVersionAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        var number = RegistryNames.ParseVersion(version);
        Update(name, document =>
        {
            document.Versions.Remove(RequireVersion(document, number));
            foreach (var alias in document.Aliases.Where(a => a.Value == number).Select(a => a.Key).ToList())
            {
                document.Aliases.Remove(alias);
            }
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<PagedList<ModelVersion>> SearchModelVersionsAsync(string? filter = null, int maxResults = 10000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateMaxResults(maxResults);
        var clauses = RegistryFilter.Parse(filter, forVersions: true);
        var offset = PageToken.Decode(pageToken);
        var versions = Read(documents => documents.All().SelectMany(d => d.Versions.Select(v => ToVersion(d, v))).ToList())
            .Where(v => clauses.All(c => RegistryFilter.Matches(c, v.Name, v.RunId, v.Source, v.Tags)));
        var sorted = RegistryFilter.Order(versions, orderBy ?? ["name ASC", "version_number DESC"], v => v.Name, v => v.CreationTimestamp, v => v.LastUpdatedTimestamp,
            v => long.Parse(v.Version, CultureInfo.InvariantCulture)).ToList();
        return Task.FromResult(Page(sorted, maxResults, offset));
    }

    /// <inheritdoc/>
    public Task SetModelVersionTagAsync(string name, string version, string key, string value, CancellationToken cancellationToken = default)
    {
        var number = RegistryNames.ParseVersion(version);
        TrackingValidation.ValidateTag(new RunTag(key, value));
        Update(name, document => RequireVersion(document, number).Tags[key] = value);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteModelVersionTagAsync(string name, string version, string key, CancellationToken cancellationToken = default)
    {
        var number = RegistryNames.ParseVersion(version);
        Update(name, document =>
        {
            if (!RequireVersion(document, number).Tags.Remove(key))
            {
                throw MlflowException.NotFound($"No tag with name: {key} on model version {name}/{version}");
            }
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task SetRegisteredModelAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateAlias(alias);
        var number = RegistryNames.ParseVersion(version);
        Update(name, document =>
        {
            RequireVersion(document, number);
            document.Aliases[alias] = number;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteRegisteredModelAliasAsync(string name, string alias, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateAlias(alias);
        Update(name, document =>
        {
            if (!document.Aliases.Remove(alias))
            {
                throw MlflowException.NotFound($"Registered model alias {alias} not found on model {name}.");
            }
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<ModelVersion> GetModelVersionByAliasAsync(string name, string alias, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateAlias(alias);
        return Task.FromResult(Read(documents =>
        {
            var document = Require(documents, name);
            if (!document.Aliases.TryGetValue(alias, out var number))
            {
                throw MlflowException.NotFound($"Registered model alias {alias} not found on model {name}.");
            }

            return ToVersion(document, RequireVersion(document, number));
        }));
    }

    private void Update(string name, Action<RegisteredModelDocument> change) => Write(documents =>
    {
        var document = Require(documents, name);
        change(document);
        document.Updated = Now();
        documents.Put(document);
        return 0;
    });

    private static RegisteredModelDocument Require(IRegistryDocuments documents, string name) =>
        documents.Get(name) ?? throw MlflowException.NotFound($"Registered Model with name={name} not found");

    private static ModelVersionDocument RequireVersion(RegisteredModelDocument document, long number) =>
        document.Versions.FirstOrDefault(v => v.Version == number)
        ?? throw MlflowException.NotFound($"Model Version (name={document.Name}, version={number}) not found");

    private static PagedList<T> Page<T>(List<T> sorted, int maxResults, int offset)
    {
        var page = sorted.Skip(offset).Take(maxResults).ToList();
        return new PagedList<T>(page, offset + page.Count < sorted.Count ? PageToken.Encode(offset + page.Count) : null);
    }

    private static RegisteredModel ToModel(RegisteredModelDocument d) => new(
        d.Name, d.Created, d.Updated, d.Description,
        new Dictionary<string, string>(d.Tags, StringComparer.Ordinal),
        d.Aliases.ToDictionary(a => a.Key, a => a.Value.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal),
        d.Versions.Count == 0 ? null : d.Versions.Max(v => v.Version).ToString(CultureInfo.InvariantCulture));

    private static ModelVersion ToVersion(RegisteredModelDocument d, ModelVersionDocument v) => new(
        d.Name, v.Version.ToString(CultureInfo.InvariantCulture), v.Created, v.Updated, v.Description, v.Source, v.RunId, v.Status,
        new Dictionary<string, string>(v.Tags, StringComparer.Ordinal),
        d.Aliases.Where(a => a.Value == v.Version).Select(a => a.Key).Order(StringComparer.Ordinal).ToList());
}
