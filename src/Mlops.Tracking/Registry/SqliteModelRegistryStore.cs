using System.Text.Json;
using Microsoft.Data.Sqlite;
using Mlops.Data;
using Mlops.Tracking.Stores;

namespace Mlops.Tracking.Registry;

/// <summary>
/// The model registry in a SQLite file (the tracking store's file, by default): one row per registered model holding
/// the model, its versions, tags and aliases as JSON, read and written in immediate transactions, so several processes
/// may register versions and move aliases at once.
/// </summary>
public sealed class SqliteModelRegistryStore : DocumentModelRegistryStore, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>Opens (creating if needed) the registry in a database.</summary>
    /// <param name="databaseUri">A <c>sqlite:///path.db</c> URI or file path.</param>
    /// <param name="timeProvider">The clock for timestamps.</param>
    /// <param name="durability">How much a committed write survives; a crash of the process by default.</param>
    /// <param name="busyTimeout">How long a write waits for another process's lock; <see cref="SqliteTrackingStore.BusyTimeout"/> if null.</param>
    public SqliteModelRegistryStore(string databaseUri, TimeProvider? timeProvider = null, SqliteDurability durability = SqliteDurability.ProcessCrash, TimeSpan? busyTimeout = null)
        : base(timeProvider)
    {
        _connection = SqliteDatabase.Open(SqliteStoreUri.ToPath(databaseUri), busyTimeout ?? SqliteTrackingStore.BusyTimeout, durability);
        using var setup = _connection.CreateCommand();
        setup.CommandText = "CREATE TABLE IF NOT EXISTS registered_model_documents (name TEXT PRIMARY KEY, document TEXT NOT NULL) WITHOUT ROWID;";
        setup.ExecuteNonQuery();
    }

    /// <summary>The store's connection (for tests of how it was opened).</summary>
    internal SqliteConnection Connection => _connection;

    /// <inheritdoc/>
    public void Dispose()
    {
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
    protected override T Read<T>(Func<IRegistryDocuments, T> action)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return action(new Documents(_connection));
        }
    }

    /// <inheritdoc/>
    protected override T Write<T>(Func<IRegistryDocuments, T> action)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var transaction = SqliteDatabase.BeginWrite(_connection);
            var result = action(new Documents(_connection));
            transaction.Commit();
            return result;
        }
    }

    private sealed class Documents(SqliteConnection connection) : IRegistryDocuments
    {
        public RegisteredModelDocument? Get(string name)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT document FROM registered_model_documents WHERE name = @name";
            command.Parameters.AddWithValue("@name", name);
            return command.ExecuteScalar() is string json ? Deserialize(json) : null;
        }

        public void Put(RegisteredModelDocument document)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT OR REPLACE INTO registered_model_documents (name, document) VALUES (@name, @document)";
            command.Parameters.AddWithValue("@name", document.Name);
            command.Parameters.AddWithValue("@document", JsonSerializer.Serialize(document));
            command.ExecuteNonQuery();
        }

        public void Delete(string name)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM registered_model_documents WHERE name = @name";
            command.Parameters.AddWithValue("@name", name);
            command.ExecuteNonQuery();
        }

        public IEnumerable<RegisteredModelDocument> All()
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT document FROM registered_model_documents ORDER BY name";
            using var reader = command.ExecuteReader();
            var list = new List<RegisteredModelDocument>();
            while (reader.Read())
            {
                list.Add(Deserialize(reader.GetString(0)));
            }

            return list;
        }

        private static RegisteredModelDocument Deserialize(string json) =>
            JsonSerializer.Deserialize<RegisteredModelDocument>(json) ?? throw new InvalidDataException("A registered model document is empty.");
    }
}
