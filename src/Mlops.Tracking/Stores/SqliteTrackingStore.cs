using Microsoft.Data.Sqlite;

namespace Mlops.Tracking.Stores;

/// <summary>
/// The embedded tracking store: one SQLite file in WAL mode, every write in an immediate transaction, so several
/// processes (the workers of a training job) may log to it at once and a write that returned survives a crash of
/// the process. Artifacts go under <see cref="DefaultArtifactRoot"/> (a folder or a <c>wasbs://</c> URI).
/// </summary>
/// <remarks>
/// One connection per store instance, used under a lock: SQLite serialises writers anyway, and reusing one connection
/// and its prepared statements is what makes batched logging fast. Waiting for another process's write lock is bounded
/// by <see cref="BusyTimeout"/>.
/// </remarks>
public sealed partial class SqliteTrackingStore : ITrackingStore, IDisposable
{
    /// <summary>How long a write waits for another process's lock before failing.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(60);

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private bool _disposed;

    /// <summary>Opens (creating if needed) a store.</summary>
    /// <param name="databaseUri">A <c>sqlite:///path.db</c> URI or a plain file path.</param>
    /// <param name="defaultArtifactRoot">Where new experiments put artifacts; a <c>mlruns</c> folder beside the database if null.</param>
    /// <param name="timeProvider">The clock for creation and update times.</param>
    public SqliteTrackingStore(string databaseUri, string? defaultArtifactRoot = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseUri);
        DatabasePath = SqliteStoreUri.ToPath(databaseUri);
        var folder = Path.GetDirectoryName(DatabasePath)!;
        Directory.CreateDirectory(folder);
        DefaultArtifactRoot = (defaultArtifactRoot ?? Path.Combine(folder, "mlruns")).TrimEnd('/', '\\');
        _timeProvider = timeProvider ?? TimeProvider.System;

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        };
        _connection = new SqliteConnection(builder.ToString());
        _connection.Open();
        Execute($"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds};");
        Execute("PRAGMA journal_mode = WAL;");

        // NORMAL in WAL mode: a committed transaction survives a crash of the process (kill -9); only an OS crash or
        // power loss may lose the last ones. FULL would fsync every commit.
        Execute("PRAGMA synchronous = NORMAL;");

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

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc/>
    public string DefaultArtifactRoot { get; }

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
            using var transaction = _connection.BeginTransaction(deferred: false);
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
