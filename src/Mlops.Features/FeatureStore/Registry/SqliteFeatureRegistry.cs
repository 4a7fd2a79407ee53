using Microsoft.Data.Sqlite;
using Mlops.Data;

namespace Mlops.Features.FeatureStore.Registry;

/// <summary>
/// The default registry: one row per project in a SQLite database (opened with Core's <see cref="SqliteDatabase"/>:
/// WAL, busy timeout), replaced in an immediate transaction so concurrent applies serialize.
/// </summary>
public class SqliteFeatureRegistry : FeatureRegistry
{
    private readonly SqliteConnection _connection;
    private readonly string _where;
    private readonly object _gate = new();

    /// <summary>Opens (creating if needed) the registry database at <paramref name="path"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="project">The project.</param>
    /// <param name="refreshInterval">How long readers reuse a snapshot.</param>
    /// <param name="timeProvider">The refresh clock.</param>
    public SqliteFeatureRegistry(string path, string project, TimeSpan refreshInterval = default, TimeProvider? timeProvider = null)
        : this(SqliteDatabase.Open(path, SqliteDatabase.DefaultBusyTimeout), path, project, refreshInterval, timeProvider)
    {
    }

    /// <summary>A registry over an open connection (such as <see cref="SqliteDatabase.OpenInMemory"/>), which it then owns.</summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="where">How messages name the database.</param>
    /// <param name="project">The project.</param>
    /// <param name="refreshInterval">How long readers reuse a snapshot.</param>
    /// <param name="timeProvider">The refresh clock.</param>
    protected SqliteFeatureRegistry(SqliteConnection connection, string where, string project, TimeSpan refreshInterval, TimeProvider? timeProvider)
        : base(project, refreshInterval, timeProvider)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _where = where;
        using var command = _connection.CreateCommand();
        command.CommandText = "CREATE TABLE IF NOT EXISTS feature_registry (project TEXT PRIMARY KEY, document TEXT NOT NULL, updated_at TEXT NOT NULL)";
        command.ExecuteNonQuery();
    }

    /// <inheritdoc/>
    protected override string? ReadDocument()
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT document FROM feature_registry WHERE project = $project";
            command.Parameters.AddWithValue("$project", Project);
            return command.ExecuteScalar() as string;
        }
    }

    /// <inheritdoc/>
    protected override void UpdateDocument(Func<string?, string?> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            using var transaction = SqliteDatabase.BeginWrite(_connection);
            string? current;
            using (var read = _connection.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = "SELECT document FROM feature_registry WHERE project = $project";
                read.Parameters.AddWithValue("$project", Project);
                current = read.ExecuteScalar() as string;
            }

            var next = change(current);
            if (next is null)
            {
                return;
            }

            using var write = _connection.CreateCommand();
            write.Transaction = transaction;
            write.CommandText = "INSERT INTO feature_registry (project, document, updated_at) VALUES ($project, $document, $at) " +
                "ON CONFLICT(project) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at";
            write.Parameters.AddWithValue("$project", Project);
            write.Parameters.AddWithValue("$document", next);
            write.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            write.ExecuteNonQuery();
            transaction.Commit();
        }
    }

    /// <inheritdoc/>
    protected override string Describe() => $"SQLite '{_where}' (project '{Project}')";

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _connection.Dispose();
        }

        base.Dispose(disposing);
    }
}
