using System.Globalization;
using Mlops.Tracking.Search;

namespace Mlops.Tracking.Registry;

public partial class SqliteModelRegistryStore
{
    private const string VersionColumns = "name, version, creation_time, last_updated_time, description, source, run_id, status";

    /// <inheritdoc/>
    public Task<ModelVersion> CreateModelVersionAsync(string name, string source, string? runId = null, IReadOnlyDictionary<string, string>? tags = null, string? description = null, CancellationToken cancellationToken = default)
    {
        RegistryValidation.Source(source);
        description = RegistryValidation.Description("description", description);
        RegistryValidation.Tags("Model version", tags);
        if (runId is null && ModelUri.TryParseRunsUri(source, out var sourceRunId, out _))
        {
            runId = sourceRunId;
        }

        return Task.FromResult(Write(() =>
        {
            RequireModel(name);
            var now = NowMs();
            long number;
            using (var next = Command("UPDATE registered_models SET last_version = last_version + 1, last_updated_time = @now WHERE name = @name RETURNING last_version",
                       ("@now", now), ("@name", name)))
            {
                number = (long)next.ExecuteScalar()!;
            }

            Run($"INSERT INTO model_versions ({VersionColumns}) VALUES (@name, @version, @now, @now, @description, @source, @run, @status)",
                ("@name", name), ("@version", number), ("@now", now), ("@description", description), ("@source", source), ("@run", runId ?? ""),
                ("@status", SqliteRegistrySchema.StatusText(ModelVersionStatus.Ready)));
            foreach (var (key, value) in tags ?? new Dictionary<string, string>())
            {
                Run("INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (@name, @version, @key, @value)",
                    ("@name", name), ("@version", number), ("@key", key), ("@value", value));
            }

            return LoadVersion(name, number);
        }));
    }

    /// <inheritdoc/>
    public Task<ModelVersion> GetModelVersionAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        var number = RegistryNames.ParseVersion(version);
        return Task.FromResult(Read(() =>
        {
            RequireModel(name);
            return LoadVersion(name, number);
        }));
    }

    /// <inheritdoc/>
    public Task<ModelVersion> UpdateModelVersionAsync(string name, string version, string description, CancellationToken cancellationToken = default)
    {
        var number = RegistryNames.ParseVersion(version);
        description = RegistryValidation.Description("description", description);
        return Task.FromResult(Write(() =>
        {
            RequireModel(name);
            RequireVersion(name, number);
            var now = NowMs();
            Run("UPDATE model_versions SET description = @description, last_updated_time = @now WHERE name = @name AND version = @version",
                ("@description", description), ("@now", now), ("@name", name), ("@version", number));
            return LoadVersion(name, number);
        }));
    }

    /// <inheritdoc/>
    public Task DeleteModelVersionAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        var number = RegistryNames.ParseVersion(version);
        Write(() =>
        {
            RequireModel(name);
            RequireVersion(name, number);
            foreach (var table in new[] { "model_versions", "model_version_tags", "registered_model_aliases" })
            {
                Run($"DELETE FROM {table} WHERE name = @name AND version = @version", ("@name", name), ("@version", number));
            }

            Touch(name);
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<PagedList<ModelVersion>> SearchModelVersionsAsync(string? filter = null, int maxResults = 10000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateMaxResults(maxResults);
        var clauses = RegistryFilter.Parse(filter, forVersions: true);
        var offset = PageToken.Decode(pageToken);
        var versions = Read(LoadAllVersions).Where(v => clauses.All(c => RegistryFilter.Matches(c, v.Name, v.RunId, v.Source, v.Tags)));
        var sorted = RegistryFilter.Order(versions, orderBy ?? ["name ASC", "version_number DESC"], v => v.Name, v => v.CreationTimestamp, v => v.LastUpdatedTimestamp,
            v => long.Parse(v.Version, CultureInfo.InvariantCulture)).ToList();
        return Task.FromResult(Page(sorted, maxResults, offset));
    }

    /// <inheritdoc/>
    public Task SetModelVersionTagAsync(string name, string version, string key, string value, CancellationToken cancellationToken = default)
    {
        var number = RegistryNames.ParseVersion(version);
        RegistryValidation.Tag("Model version", key, value);
        Write(() =>
        {
            RequireModel(name);
            RequireVersion(name, number);
            Run("INSERT OR REPLACE INTO model_version_tags (name, version, key, value) VALUES (@name, @version, @key, @value)",
                ("@name", name), ("@version", number), ("@key", key), ("@value", value));
            Touch(name);
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteModelVersionTagAsync(string name, string version, string key, CancellationToken cancellationToken = default)
    {
        var number = RegistryNames.ParseVersion(version);
        Write(() =>
        {
            RequireModel(name);
            RequireVersion(name, number);
            if (Run("DELETE FROM model_version_tags WHERE name = @name AND version = @version AND key = @key", ("@name", name), ("@version", number), ("@key", key)) == 0)
            {
                throw MlflowException.NotFound($"No tag with name: {key} on model version {name}/{version}");
            }

            Touch(name);
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<ModelVersion> GetModelVersionByAliasAsync(string name, string alias, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateAlias(alias);
        return Task.FromResult(Read(() =>
        {
            RequireModel(name);
            using var command = Command("SELECT version FROM registered_model_aliases WHERE name = @name AND alias = @alias", ("@name", name), ("@alias", alias));
            var number = command.ExecuteScalar() as long?
                ?? throw MlflowException.NotFound($"Registered model alias {alias} not found on model {name}.");
            return LoadVersion(name, number);
        }));
    }

    private ModelVersion LoadVersion(string name, long number)
    {
        using var command = Command($"SELECT {VersionColumns} FROM model_versions WHERE name = @name AND version = @version", ("@name", name), ("@version", number));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw MlflowException.NotFound($"Model Version (name={name}, version={number}) not found");
        }

        var row = VersionRow.From(reader);
        reader.Close();
        var tags = Pairs("SELECT key, value FROM model_version_tags WHERE name = @name AND version = @version", ("@name", name), ("@version", number));
        var aliases = Pairs("SELECT alias, alias FROM registered_model_aliases WHERE name = @name AND version = @version", ("@name", name), ("@version", number));
        return row.ToVersion(tags, aliases.Keys.Order(StringComparer.Ordinal).ToList());
    }

    private List<ModelVersion> LoadAllVersions()
    {
        var tags = Grouped("SELECT name || char(0) || version, key, value FROM model_version_tags");
        var aliases = Grouped("SELECT name || char(0) || version, alias, alias FROM registered_model_aliases");
        using var command = Command($"SELECT {VersionColumns} FROM model_versions ORDER BY name, version");
        using var reader = command.ExecuteReader();
        var versions = new List<ModelVersion>();
        while (reader.Read())
        {
            var row = VersionRow.From(reader);

            // Model names cannot hold NUL, so name NUL version keys a version uniquely.
            var key = row.Name + "\0" + row.Version.ToString(CultureInfo.InvariantCulture);
            versions.Add(row.ToVersion(
                tags.GetValueOrDefault(key) ?? new Dictionary<string, string>(StringComparer.Ordinal),
                aliases.TryGetValue(key, out var a) ? a.Keys.Order(StringComparer.Ordinal).ToList() : []));
        }

        return versions;
    }

    private sealed record VersionRow(string Name, long Version, long Created, long Updated, string Description, string Source, string RunId, string Status)
    {
        public static VersionRow From(Microsoft.Data.Sqlite.SqliteDataReader reader) => new(
            reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7));

        public ModelVersion ToVersion(IReadOnlyDictionary<string, string> tags, IReadOnlyList<string> aliases) => new(
            Name, Version.ToString(CultureInfo.InvariantCulture), Created, Updated, Description, Source, RunId, SqliteRegistrySchema.ParseStatus(Status), tags, aliases);
    }
}
