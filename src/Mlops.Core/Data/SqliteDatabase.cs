using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Mlops.Data;

/// <summary>How much a committed SQLite write survives.</summary>
public enum SqliteDurability
{
    /// <summary>Committed writes survive a crash or kill of the process (WAL with <c>synchronous=NORMAL</c>); the last ones may be lost on power loss. The default.</summary>
    ProcessCrash,

    /// <summary>Committed writes also survive power loss (<c>synchronous=FULL</c>: an fsync per commit, much slower).</summary>
    PowerLoss,
}

/// <summary>
/// The one way every Mlops SQLite store (tracking, model registry, pipelines) opens its file: WAL journal, a busy
/// timeout for other processes' write locks, the chosen durability, and writes in immediate transactions. A store
/// opens one connection with <see cref="Open"/> and writes through <see cref="BeginWrite"/>.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite's async methods complete synchronously (SQLite is an in-process library); the stores' async
/// methods are therefore the synchronous work on the caller's thread, which is the stores' real implementation.
/// </remarks>
public static class SqliteDatabase
{
    /// <summary>The busy timeout the stores use unless their options say otherwise: 60 seconds.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Opens (creating it and its folder when missing) the database at <paramref name="path"/> in WAL mode, with
    /// <paramref name="busyTimeout"/> as SQLite's busy timeout and the <c>synchronous</c> level
    /// <paramref name="durability"/> names. Connections are not pooled: each store owns its one connection.
    /// </summary>
    /// <param name="path">The database file.</param>
    /// <param name="busyTimeout">How long a statement waits for another connection's lock; positive.</param>
    /// <param name="durability">How much a committed write survives.</param>
    /// <returns>The open connection; the caller disposes it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="busyTimeout"/> is not positive.</exception>
    /// <exception cref="SqliteException">The file cannot be opened as a database.</exception>
    public static SqliteConnection Open(string path, TimeSpan busyTimeout, SqliteDurability durability = SqliteDurability.ProcessCrash)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (busyTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(busyTimeout), busyTimeout, $"The busy timeout of the SQLite database '{path}' must be positive.");
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds),
        }.ToString());
        try
        {
            connection.Open();
            using var setup = connection.CreateCommand();

            // NORMAL in WAL mode: a committed transaction survives a crash of the process (kill -9); only an OS crash or
            // power loss may lose the last ones. FULL fsyncs every commit.
            setup.CommandText = string.Create(
                CultureInfo.InvariantCulture,
                $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds}; PRAGMA journal_mode = WAL; PRAGMA synchronous = {(durability == SqliteDurability.PowerLoss ? "FULL" : "NORMAL")};");
            setup.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a private in-memory database with the stores' settings (busy timeout; WAL and <c>synchronous</c> do not apply
    /// to memory): the storage of the in-memory stores of Mlops.Testing, which run the real stores' SQL over it so they
    /// have the same semantics. The database lives as long as the connection.
    /// </summary>
    /// <returns>The open connection; the caller disposes it.</returns>
    public static SqliteConnection OpenInMemory()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = ":memory:",
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>
    /// Begins a write transaction that takes the write lock at <c>BEGIN</c> (<c>BEGIN IMMEDIATE</c>), so two processes
    /// never deadlock upgrading read locks to write locks; waiting for the lock is bounded by the busy timeout.
    /// </summary>
    /// <param name="connection">A connection from <see cref="Open"/>.</param>
    /// <returns>The transaction; commit it, or dispose it to roll back.</returns>
    public static SqliteTransaction BeginWrite(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.BeginTransaction(deferred: false);
    }

    /// <summary>The connection's journal mode (<c>wal</c> for connections from <see cref="Open"/>).</summary>
    /// <param name="connection">An open connection.</param>
    /// <returns>The mode, lower case.</returns>
    public static string JournalMode(SqliteConnection connection) => Pragma(connection, "journal_mode").ToLowerInvariant();

    /// <summary>The connection's busy timeout.</summary>
    /// <param name="connection">An open connection.</param>
    /// <returns>The timeout.</returns>
    public static TimeSpan BusyTimeout(SqliteConnection connection) =>
        TimeSpan.FromMilliseconds(long.Parse(Pragma(connection, "busy_timeout"), CultureInfo.InvariantCulture));

    /// <summary>The connection's <c>synchronous</c> level as a durability.</summary>
    /// <param name="connection">An open connection.</param>
    /// <returns><see cref="SqliteDurability.PowerLoss"/> for FULL or EXTRA, else <see cref="SqliteDurability.ProcessCrash"/>.</returns>
    public static SqliteDurability Durability(SqliteConnection connection) =>
        long.Parse(Pragma(connection, "synchronous"), CultureInfo.InvariantCulture) >= 2 ? SqliteDurability.PowerLoss : SqliteDurability.ProcessCrash;

    private static string Pragma(SqliteConnection connection, string name)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name + ";";
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }
}
