using Microsoft.Data.Sqlite;
using Mlops.Data;

namespace Mlops.Tracking.Stores;

/// <summary>
/// The embedded tracking store: one SQLite file in WAL mode (opened by <see cref="SqliteDatabase"/>), every write in an
/// immediate transaction, so several processes (the workers of a training job) may log to it at once and a write that
/// returned survives a crash of the process. Artifacts go under <see cref="DefaultArtifactRoot"/> (a folder or a
/// <c>wasbs://</c> URI). It holds MLflow's semantics (validation, param immutability, the latest-metric rule, search,
/// ordering, page tokens) once: Mlops.Testing's in-memory store is this class over an in-memory database.
/// </summary>
/// <remarks>
/// One connection per store instance, used under a lock: SQLite serialises writers anyway, and reusing one connection
/// and its prepared statements is what makes batched logging fast. Waiting for another process's write lock is bounded
/// by <see cref="BusyTimeout"/>. The async methods do the work synchronously on the caller's thread and return a
/// completed task: SQLite is an in-process library (Microsoft.Data.Sqlite's own async methods complete synchronously
/// too), so that is the store's real implementation, not a wrapper over a thread.
/// </remarks>
public partial class SqliteTrackingStore : ITrackingStore, IDisposable
{
    /// <summary>How long a write waits for another process's lock before failing, unless the constructor is given another: 60 seconds.</summary>
    public static readonly TimeSpan BusyTimeout = SqliteDatabase.DefaultBusyTimeout;

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private bool _disposed;

    /// <summary>Opens (creating if needed) a store.</summary>
    /// <param name="databaseUri">A <c>sqlite:///path.db</c> URI or a plain file path.</param>
    /// <param name="defaultArtifactRoot">Where new experiments put artifacts; a <c>mlruns</c> folder beside the database if null.</param>
    /// <param name="timeProvider">The clock for creation and update times.</param>
    /// <param name="durability">How much a committed write survives; a crash of the process by default.</param>
    /// <param name="busyTimeout">How long a write waits for another process's lock; <see cref="BusyTimeout"/> if null.</param>
    public SqliteTrackingStore(string databaseUri, string? defaultArtifactRoot = null, TimeProvider? timeProvider = null, SqliteDurability durability = SqliteDurability.ProcessCrash, TimeSpan? busyTimeout = null)
        : this(OpenFile(databaseUri, busyTimeout ?? BusyTimeout, durability, out var path), path, defaultArtifactRoot ?? Path.Combine(Path.GetDirectoryName(path)!, "mlruns"), timeProvider)
    {
    }

    /// <summary>
    /// Creates the store over an open connection (which it then owns), creating the schema if missing: how
    /// Mlops.Testing's <c>InMemoryTrackingStore</c> runs this store's SQL over an in-memory database
    /// (<see cref="SqliteDatabase.OpenInMemory"/>), so the two have one implementation of MLflow's semantics.
    /// </summary>
    /// <param name="connection">An open connection from <see cref="SqliteDatabase"/>.</param>
    /// <param name="databasePath">What <see cref="DatabasePath"/> reports (<c>:memory:</c> for an in-memory database).</param>
    /// <param name="defaultArtifactRoot">Where new experiments put artifacts.</param>
    /// <param name="timeProvider">The clock for creation and update times.</param>
    protected SqliteTrackingStore(SqliteConnection connection, string databasePath, string defaultArtifactRoot, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultArtifactRoot);
        _connection = connection;
        DatabasePath = databasePath;
        DefaultArtifactRoot = defaultArtifactRoot.TrimEnd('/', '\\');
        _timeProvider = timeProvider ?? TimeProvider.System;

        // Foreign keys stay unenforced (SQLite's default): every write checks its run in code first, and enforcing them
        // would add a parent lookup to each of the thousands of rows of a batch.
        InTransaction(() =>
        {
            Execute(SqliteSchema.Create);
            var now = NowMs();
            using var command = Command(
                "INSERT OR IGNORE INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (0, 'Default', @loc, 'active', @now, @now)");
            command.Parameters.AddWithValue("@loc", DefaultArtifactRoot + "/0");
            command.Parameters.AddWithValue("@now", now);
            command.ExecuteNonQuery();
            return 0;
        });
    }

    /// <summary>The store's connection (for tests of how it was opened).</summary>
    internal SqliteConnection Connection => _connection;

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc/>
    public string DefaultArtifactRoot { get; }

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

    private static SqliteConnection OpenFile(string databaseUri, TimeSpan busyTimeout, SqliteDurability durability, out string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseUri);
        path = SqliteStoreUri.ToPath(databaseUri);
        return SqliteDatabase.Open(path, busyTimeout, durability);
    }

    private long NowMs() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private T Read<T>(Func<T> action)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return action();
        }
    }

    private T InTransaction<T>(Func<T> action)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // Immediate: take the write lock at BEGIN, so two processes never deadlock upgrading read locks.
            using var transaction = SqliteDatabase.BeginWrite(_connection);
            var result = action();
            transaction.Commit();
            return result;
        }
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static SqliteCommand With(SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static long ParseExperimentId(string experimentId) =>
        long.TryParse(experimentId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id
            : throw MlflowException.InvalidParameter($"Invalid experiment id '{experimentId}'. Experiment ids are integers.");
}
