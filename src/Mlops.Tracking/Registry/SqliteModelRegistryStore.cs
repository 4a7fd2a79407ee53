using System.Globalization;
using Microsoft.Data.Sqlite;
using Mlops.Data;
using Mlops.Tracking.Search;
using Mlops.Tracking.Stores;

namespace Mlops.Tracking.Registry;

/// <summary>
/// The model registry in a SQLite file (the tracking store's file, by default), in MLflow's tables: one row per
/// registered model, version, tag and alias, so every write touches only its own rows and costs the same however big
/// the model grows. Writes run in immediate transactions, so several processes may register versions and move aliases
/// at once. MLflow's limits (<see cref="RegistryLimits"/>) and naming rules hold for every write. Mlops.Testing's
/// in-memory registry is this class over an in-memory database, so the two cannot drift.
/// </summary>
/// <remarks>
/// A database written by the first schema (one JSON document per model) is migrated to the rows when it is opened.
/// The async methods do the work synchronously and return a completed task, as <see cref="SqliteTrackingStore"/> does.
/// </remarks>
public partial class SqliteModelRegistryStore : IModelRegistryStore, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>Opens (creating if needed) the registry in a database.</summary>
    /// <param name="databaseUri">A <c>sqlite:///path.db</c> URI or file path.</param>
    /// <param name="timeProvider">The clock for timestamps.</param>
    /// <param name="durability">How much a committed write survives; a crash of the process by default.</param>
    /// <param name="busyTimeout">How long a write waits for another process's lock; <see cref="SqliteTrackingStore.BusyTimeout"/> if null.</param>
    public SqliteModelRegistryStore(string databaseUri, TimeProvider? timeProvider = null, SqliteDurability durability = SqliteDurability.ProcessCrash, TimeSpan? busyTimeout = null)
        : this(SqliteDatabase.Open(SqliteStoreUri.ToPath(databaseUri), busyTimeout ?? SqliteTrackingStore.BusyTimeout, durability), timeProvider)
    {
    }

    /// <summary>
    /// Creates the registry over an open connection (which it then owns), creating or migrating the schema: how
    /// Mlops.Testing's <c>InMemoryModelRegistryStore</c> runs this store's SQL over an in-memory database
    /// (<see cref="SqliteDatabase.OpenInMemory"/>).
    /// </summary>
    /// <param name="connection">An open connection from <see cref="SqliteDatabase"/>.</param>
    /// <param name="timeProvider">The clock for timestamps.</param>
    protected SqliteModelRegistryStore(SqliteConnection connection, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _timeProvider = timeProvider ?? TimeProvider.System;
        Write(() =>
        {
            Execute(SqliteRegistrySchema.Create);
            SqliteRegistrySchema.MigrateDocuments(_connection);
            return 0;
        });
    }

    /// <summary>The store's connection (for tests of how it was opened).</summary>
    internal SqliteConnection Connection => _connection;

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the connection.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        lock (_lock)
        {
            if (!_disposed)
            {
                _disposed = true;
                _connection.Dispose();
            }
        }
    }

    /// <inheritdoc/>
    public Task<RegisteredModel> CreateRegisteredModelAsync(string name, IReadOnlyDictionary<string, string>? tags = null, string? description = null, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(name);
        description = RegistryValidation.Description("description", description);
        RegistryValidation.Tags("Registered model", tags);
        return Task.FromResult(Write(() =>
        {
            if (ModelExists(name))
            {
                throw MlflowException.AlreadyExists($"Registered Model (name={name}) already exists.");
            }

            var now = NowMs();
            Run("INSERT INTO registered_models (name, creation_time, last_updated_time, description, last_version) VALUES (@name, @now, @now, @description, 0)",
                ("@name", name), ("@now", now), ("@description", description));
            foreach (var (key, value) in tags ?? new Dictionary<string, string>())
            {
                Run("INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (@name, @key, @value)", ("@name", name), ("@key", key), ("@value", value));
            }

            return LoadModel(name);
        }));
    }

    /// <inheritdoc/>
    public Task<RegisteredModel> GetRegisteredModelAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(() => LoadModel(name)));

    /// <inheritdoc/>
    public Task<RegisteredModel> RenameRegisteredModelAsync(string name, string newName, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateModelName(newName);
        return Task.FromResult(Write(() =>
        {
            RequireModel(name);
            if (ModelExists(newName))
            {
                throw MlflowException.AlreadyExists($"Registered Model (name={newName}) already exists.");
            }

            foreach (var table in ModelTables)
            {
                Run($"UPDATE {table} SET name = @new WHERE name = @name", ("@new", newName), ("@name", name));
            }

            Touch(newName);
            return LoadModel(newName);
        }));
    }

    /// <inheritdoc/>
    public Task<RegisteredModel> UpdateRegisteredModelAsync(string name, string description, CancellationToken cancellationToken = default)
    {
        description = RegistryValidation.Description("description", description);
        return Task.FromResult(Write(() =>
        {
            RequireModel(name);
            Run("UPDATE registered_models SET description = @description, last_updated_time = @now WHERE name = @name",
                ("@description", description), ("@now", NowMs()), ("@name", name));
            return LoadModel(name);
        }));
    }

    /// <inheritdoc/>
    public Task DeleteRegisteredModelAsync(string name, CancellationToken cancellationToken = default)
    {
        Write(() =>
        {
            RequireModel(name);
            foreach (var table in ModelTables)
            {
                Run($"DELETE FROM {table} WHERE name = @name", ("@name", name));
            }

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
        var models = Read(LoadAllModels).Where(m => clauses.All(c => RegistryFilter.Matches(c, m.Name, null, null, m.Tags)));
        var sorted = RegistryFilter.Order(models, orderBy, m => m.Name, m => m.CreationTimestamp, m => m.LastUpdatedTimestamp, m => 0).ToList();
        return Task.FromResult(Page(sorted, maxResults, offset));
    }

    /// <inheritdoc/>
    public Task SetRegisteredModelTagAsync(string name, string key, string value, CancellationToken cancellationToken = default)
    {
        RegistryValidation.Tag("Registered model", key, value);
        Write(() =>
        {
            RequireModel(name);
            Run("INSERT OR REPLACE INTO registered_model_tags (name, key, value) VALUES (@name, @key, @value)", ("@name", name), ("@key", key), ("@value", value));
            Touch(name);
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteRegisteredModelTagAsync(string name, string key, CancellationToken cancellationToken = default)
    {
        Write(() =>
        {
            RequireModel(name);
            if (Run("DELETE FROM registered_model_tags WHERE name = @name AND key = @key", ("@name", name), ("@key", key)) == 0)
            {
                throw MlflowException.NotFound($"No tag with name: {key} on registered model {name}");
            }

            Touch(name);
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task SetRegisteredModelAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateAlias(alias);
        var number = RegistryNames.ParseVersion(version);
        Write(() =>
        {
            RequireModel(name);
            RequireVersion(name, number);
            Run("INSERT OR REPLACE INTO registered_model_aliases (name, alias, version) VALUES (@name, @alias, @version)", ("@name", name), ("@alias", alias), ("@version", number));
            Touch(name);
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteRegisteredModelAliasAsync(string name, string alias, CancellationToken cancellationToken = default)
    {
        RegistryNames.ValidateAlias(alias);
        Write(() =>
        {
            RequireModel(name);
            if (Run("DELETE FROM registered_model_aliases WHERE name = @name AND alias = @alias", ("@name", name), ("@alias", alias)) == 0)
            {
                throw MlflowException.NotFound($"Registered model alias {alias} not found on model {name}.");
            }

            Touch(name);
            return 0;
        });
        return Task.CompletedTask;
    }

    private static readonly string[] ModelTables = ["registered_models", "model_versions", "registered_model_tags", "model_version_tags", "registered_model_aliases"];

    private long NowMs() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private T Read<T>(Func<T> action)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // One deferred transaction, so a read of several tables sees one state of the file.
            using var transaction = _connection.BeginTransaction(deferred: true);
            return action();
        }
    }

    private T Write<T>(Func<T> action)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var transaction = SqliteDatabase.BeginWrite(_connection);
            var result = action();
            transaction.Commit();
            return result;
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (parameter, value) in parameters)
        {
            command.Parameters.AddWithValue(parameter, value);
        }

        return command;
    }

    private int Run(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    private void Touch(string name) =>
        Run("UPDATE registered_models SET last_updated_time = @now WHERE name = @name", ("@now", NowMs()), ("@name", name));

    private bool ModelExists(string name)
    {
        using var command = Command("SELECT 1 FROM registered_models WHERE name = @name", ("@name", name));
        return command.ExecuteScalar() is not null;
    }

    private void RequireModel(string name)
    {
        if (!ModelExists(name))
        {
            throw MlflowException.NotFound($"Registered Model with name={name} not found");
        }
    }

    private void RequireVersion(string name, long number)
    {
        using var command = Command("SELECT 1 FROM model_versions WHERE name = @name AND version = @version", ("@name", name), ("@version", number));
        if (command.ExecuteScalar() is null)
        {
            throw MlflowException.NotFound($"Model Version (name={name}, version={number}) not found");
        }
    }

    private RegisteredModel LoadModel(string name)
    {
        using var command = Command(
            "SELECT m.creation_time, m.last_updated_time, m.description, (SELECT max(version) FROM model_versions v WHERE v.name = m.name) FROM registered_models m WHERE m.name = @name",
            ("@name", name));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw MlflowException.NotFound($"Registered Model with name={name} not found");
        }

        var created = reader.GetInt64(0);
        var updated = reader.GetInt64(1);
        var description = reader.GetString(2);
        var latest = reader.IsDBNull(3) ? null : reader.GetInt64(3).ToString(CultureInfo.InvariantCulture);
        reader.Close();
        return new RegisteredModel(name, created, updated, description,
            Pairs("SELECT key, value FROM registered_model_tags WHERE name = @name", ("@name", name)),
            Pairs("SELECT alias, CAST(version AS TEXT) FROM registered_model_aliases WHERE name = @name", ("@name", name)),
            latest);
    }

    private List<RegisteredModel> LoadAllModels()
    {
        var tags = Grouped("SELECT name, key, value FROM registered_model_tags");
        var aliases = Grouped("SELECT name, alias, CAST(version AS TEXT) FROM registered_model_aliases");
        using var command = Command(
            "SELECT m.name, m.creation_time, m.last_updated_time, m.description, (SELECT max(version) FROM model_versions v WHERE v.name = m.name) FROM registered_models m ORDER BY m.name");
        using var reader = command.ExecuteReader();
        var models = new List<RegisteredModel>();
        while (reader.Read())
        {
            var name = reader.GetString(0);
            models.Add(new RegisteredModel(name, reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3),
                tags.GetValueOrDefault(name) ?? new Dictionary<string, string>(StringComparer.Ordinal),
                aliases.GetValueOrDefault(name) ?? new Dictionary<string, string>(StringComparer.Ordinal),
                reader.IsDBNull(4) ? null : reader.GetInt64(4).ToString(CultureInfo.InvariantCulture)));
        }

        return models;
    }

    private Dictionary<string, string> Pairs(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        using var reader = command.ExecuteReader();
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            pairs[reader.GetString(0)] = reader.GetString(1);
        }

        return pairs;
    }

    private Dictionary<string, Dictionary<string, string>> Grouped(string sql)
    {
        using var command = Command(sql);
        using var reader = command.ExecuteReader();
        var groups = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var owner = reader.GetString(0);
            if (!groups.TryGetValue(owner, out var pairs))
            {
                groups[owner] = pairs = new Dictionary<string, string>(StringComparer.Ordinal);
            }

            pairs[reader.GetString(1)] = reader.GetString(2);
        }

        return groups;
    }

    private static PagedList<T> Page<T>(List<T> sorted, int maxResults, int offset)
    {
        var page = sorted.Skip(offset).Take(maxResults).ToList();
        return new PagedList<T>(page, offset + page.Count < sorted.Count ? PageToken.Encode(offset + page.Count) : null);
    }
}
