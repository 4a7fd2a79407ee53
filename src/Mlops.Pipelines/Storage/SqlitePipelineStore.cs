using Microsoft.Data.Sqlite;
using Mlops.Data;

namespace Mlops.Pipelines;

/// <summary>
/// The durable <see cref="IPipelineStore"/>: one SQLite file in WAL mode. Each batch of state changes is one
/// transaction, committed before the executor acts on it, so a process killed at any moment resumes from the last
/// acknowledged state. Several processes may read the file while one writes; a writer waits for the lock at most
/// <see cref="SqlitePipelineStoreOptions.BusyTimeout"/>. Thread-safe.
/// </summary>
public partial class SqlitePipelineStore : IPipelineStore, IDisposable
{
    private const int SchemaVersion = 1;
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private readonly PreparedCommands _commands;
    private bool _disposed;

    /// <summary>Opens (creating when missing) the database at <paramref name="path"/> with default options.</summary>
    /// <param name="path">The database file.</param>
    public SqlitePipelineStore(string path)
        : this(new SqlitePipelineStoreOptions { Path = path })
    {
    }

    /// <summary>Opens (creating when missing) the database.</summary>
    /// <param name="options">File, durability and lock timeout.</param>
    /// <exception cref="PipelineException">The file is not a pipeline database, or has a newer schema.</exception>
    public SqlitePipelineStore(SqlitePipelineStoreOptions options)
        : this(OpenFile(options, out var path), path)
    {
    }

    /// <summary>
    /// Creates the store over an open connection (which it then owns), creating the schema if missing: how
    /// Mlops.Testing's <c>InMemoryPipelineStore</c> runs this store's SQL over an in-memory database
    /// (<see cref="SqliteDatabase.OpenInMemory"/>), so the two have one implementation of the store's semantics.
    /// </summary>
    /// <param name="connection">An open connection from <see cref="SqliteDatabase"/>.</param>
    /// <param name="path">What <see cref="Path"/> reports (<c>:memory:</c> for an in-memory database).</param>
    /// <exception cref="PipelineException">The database is not a pipeline database, or has a newer schema.</exception>
    protected SqlitePipelineStore(SqliteConnection connection, string path)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _connection = connection;
        Path = path;
        try
        {
            CreateSchema();
            _commands = new PreparedCommands(_connection);
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new PipelineException($"Cannot open the pipeline database '{Path}': {e.Message}", innerException: e);
        }
    }

    /// <summary>The store's connection (for tests of how it was opened).</summary>
    internal SqliteConnection Connection => _connection;

    /// <summary>The database file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public bool TryCreateDagRun(DagRunRecord run, IReadOnlyList<TaskInstanceRecord> taskInstances)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(taskInstances);
        lock (_lock)
        {
            ThrowIfDisposed();
            using var transaction = SqliteDatabase.BeginWrite(_connection);
            _commands.Enlist(transaction);
            using (var exists = Command("SELECT 1 FROM dag_run WHERE dag_id = $dag AND (run_id = $run OR logical_date = $date) LIMIT 1;"))
            {
                exists.Parameters.AddWithValue("$dag", run.DagId);
                exists.Parameters.AddWithValue("$run", run.RunId);
                exists.Parameters.AddWithValue("$date", run.LogicalDate.UtcTicks);
                if (exists.ExecuteScalar() is not null)
                {
                    return false;
                }
            }

            _commands.UpsertRun(run);
            foreach (var ti in taskInstances)
            {
                _commands.UpsertTaskInstance(ti);
            }

            transaction.Commit();
            return true;
        }
    }

    /// <inheritdoc/>
    public DagRunRecord? TryClaimDagRun(string dagId, string runId, string owner, Func<string, bool> isOwnerAlive)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(isOwnerAlive);
        lock (_lock)
        {
            ThrowIfDisposed();
            using var transaction = SqliteDatabase.BeginWrite(_connection);
            _commands.Enlist(transaction);
            var run = ReadRun(dagId, runId) ?? throw new DagRunNotFoundException($"DAG '{dagId}' has no run '{runId}'.", dagId, runId);
            if (run.Owner is { } current && current != owner && isOwnerAlive(current))
            {
                return null;
            }

            var claimed = run with { Owner = owner };
            _commands.UpsertRun(claimed);
            transaction.Commit();
            return claimed;
        }
    }

    /// <inheritdoc/>
    public void ReleaseDagRun(string dagId, string runId, string owner)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var command = Command("UPDATE dag_run SET owner = NULL WHERE dag_id = $dag AND run_id = $run AND owner = $owner;");
            command.Parameters.AddWithValue("$dag", dagId);
            command.Parameters.AddWithValue("$run", runId);
            command.Parameters.AddWithValue("$owner", owner);
            command.ExecuteNonQuery();
        }
    }

    /// <inheritdoc/>
    public virtual void Apply(PipelineStateChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.IsEmpty)
        {
            return;
        }

        lock (_lock)
        {
            ThrowIfDisposed();
            using var transaction = SqliteDatabase.BeginWrite(_connection);
            _commands.Enlist(transaction);
            foreach (var run in changes.Runs)
            {
                _commands.UpsertRun(run);
            }

            foreach (var ti in changes.TaskInstances)
            {
                _commands.UpsertTaskInstance(ti);
            }

            foreach (var attempt in changes.Attempts)
            {
                _commands.UpsertAttempt(attempt);
            }

            foreach (var log in changes.Logs)
            {
                _commands.InsertLog(log);
            }

            foreach (var xcom in changes.Xcoms)
            {
                _commands.UpsertXcom(xcom);
            }

            transaction.Commit();
        }
    }

    /// <summary>Closes the database.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the connection and its prepared statements.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _commands.Dispose();
            _connection.Dispose();
        }
    }

    private static SqliteConnection OpenFile(SqlitePipelineStoreOptions options, out string path)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path, nameof(options));
        if (options.BusyTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BusyTimeout, "BusyTimeout must be positive.");
        }

        path = System.IO.Path.GetFullPath(options.Path);
        try
        {
            return SqliteDatabase.Open(path, options.BusyTimeout, options.Durability);
        }
        catch (SqliteException e)
        {
            throw new PipelineException($"Cannot open the pipeline database '{path}': {e.Message}", innerException: e);
        }
    }

    private void CreateSchema()
    {
        using var transaction = SqliteDatabase.BeginWrite(_connection);
        Execute("CREATE TABLE IF NOT EXISTS schema_info (version INTEGER NOT NULL);");
        using (var version = Command("SELECT version FROM schema_info;"))
        {
            var found = version.ExecuteScalar();
            if (found is long v && v > SchemaVersion)
            {
                throw new PipelineException($"The pipeline database '{Path}' has schema version {v}; this version of Mlops.Pipelines reads version {SchemaVersion}. Upgrade the package.");
            }

            if (found is null)
            {
                Execute($"INSERT INTO schema_info (version) VALUES ({SchemaVersion});");
            }
        }

        Execute("""
            CREATE TABLE IF NOT EXISTS dag_run (
                dag_id TEXT NOT NULL, run_id TEXT NOT NULL, run_type TEXT NOT NULL, logical_date INTEGER NOT NULL,
                data_interval_start INTEGER NOT NULL, data_interval_end INTEGER NOT NULL, state TEXT NOT NULL,
                queued_at INTEGER NOT NULL, start_date INTEGER, end_date INTEGER, conf TEXT, note TEXT, owner TEXT,
                PRIMARY KEY (dag_id, run_id), UNIQUE (dag_id, logical_date)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS dag_run_state ON dag_run (dag_id, state);
            CREATE TABLE IF NOT EXISTS task_instance (
                dag_id TEXT NOT NULL, run_id TEXT NOT NULL, task_id TEXT NOT NULL, state TEXT NOT NULL,
                try_number INTEGER NOT NULL, max_tries INTEGER NOT NULL, start_date INTEGER, end_date INTEGER,
                next_attempt_at INTEGER, first_start_date INTEGER, reschedules INTEGER NOT NULL, pool TEXT NOT NULL, error TEXT,
                PRIMARY KEY (dag_id, run_id, task_id)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS task_attempt (
                dag_id TEXT NOT NULL, run_id TEXT NOT NULL, task_id TEXT NOT NULL, try_number INTEGER NOT NULL,
                state TEXT NOT NULL, start_date INTEGER NOT NULL, end_date INTEGER, error TEXT,
                PRIMARY KEY (dag_id, run_id, task_id, try_number)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS task_log (
                dag_id TEXT NOT NULL, run_id TEXT NOT NULL, task_id TEXT NOT NULL, try_number INTEGER NOT NULL,
                seq INTEGER NOT NULL, at INTEGER NOT NULL, level INTEGER NOT NULL, message TEXT NOT NULL,
                PRIMARY KEY (dag_id, run_id, task_id, try_number, seq)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS xcom (
                dag_id TEXT NOT NULL, run_id TEXT NOT NULL, task_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                PRIMARY KEY (dag_id, run_id, task_id, key)) WITHOUT ROWID;
            """);
        transaction.Commit();
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

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
