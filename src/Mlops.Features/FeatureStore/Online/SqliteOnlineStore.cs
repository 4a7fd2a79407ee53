using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Mlops.Data;

namespace Mlops.Features.FeatureStore.Online;

/// <summary>
/// The embedded online store: one SQLite file (Core's <see cref="SqliteDatabase"/>: WAL, busy timeout, immediate write
/// transactions), one <c>WITHOUT ROWID</c> table keyed by (project, feature view, entity key), so a lookup is one
/// primary-key seek that lands on the row's data. A row's features are one blob in the online value encoding, which
/// keeps every value's CLR type (an int stays an int, a float[] a float[]).
/// </summary>
/// <remarks>
/// <para>Newer-wins is one SQL UPSERT whose <c>WHERE</c> compares the timestamps, in one transaction per
/// <see cref="WriteAsync"/> call; a cancelled write rolls its batch back. Reads of many keys go in <c>IN</c> lists of at
/// most 500 keys over prepared statements that are reused, on a small pool of read connections, so reads proceed
/// while a long write (a materialization) holds the write lock. Any number of threads may use one store.</para>
/// <para>Microsoft.Data.Sqlite completes its work synchronously (SQLite is an in-process library): the async methods
/// do the work on the caller's thread and return completed tasks.</para>
/// </remarks>
public class SqliteOnlineStore : OnlineStore, IDisposable
{
    /// <summary>Keys per <c>IN</c> list: far below SQLite's parameter limit (999 in old builds), large enough to amortize a statement.</summary>
    private const int MaxKeysPerStatement = 500;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS online_rows (
            project TEXT NOT NULL,
            feature_view TEXT NOT NULL,
            entity_key TEXT NOT NULL,
            event_ts INTEGER NOT NULL,
            created_order INTEGER NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY (project, feature_view, entity_key)
        ) WITHOUT ROWID;
        """;

    // Newer-wins in SQL (the rule of OnlineWriteBatch.Replaces): an equal event timestamp replaces the row when its
    // created order is not older, so on a full tie the later write wins. No change when the WHERE fails: 0 rows.
    private const string UpsertSql = """
        INSERT INTO online_rows (project, feature_view, entity_key, event_ts, created_order, payload)
        VALUES ($project, $view, $key, $event, $created, $payload)
        ON CONFLICT (project, feature_view, entity_key) DO UPDATE SET
            event_ts = excluded.event_ts, created_order = excluded.created_order, payload = excluded.payload
        WHERE excluded.event_ts > online_rows.event_ts
           OR (excluded.event_ts = online_rows.event_ts AND excluded.created_order >= online_rows.created_order);
        """;

    /// <summary>The <c>IN</c>-list sizes prepared; a shorter tail repeats its last key up to the next size.</summary>
    private static readonly int[] StatementSizes = [1, 4, 16, 64, 250, MaxKeysPerStatement];

    private readonly object _writeLock = new();
    private readonly SqliteConnection _writer;
    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _deleteView;
    private readonly string _description;
    private readonly SqliteOnlineStoreOptions? _fileOptions;
    private readonly ReadSession? _sharedReader;
    private readonly ConcurrentBag<ReadSession> _readers = [];
    private readonly int _maxPooledReaders = Math.Max(4, Environment.ProcessorCount * 2);
    private volatile bool _disposed;

    /// <summary>Opens (creating when missing) the store's database file.</summary>
    /// <param name="options">The file, durability and busy timeout.</param>
    /// <exception cref="ArgumentException">An empty path or a busy timeout that is not positive.</exception>
    /// <exception cref="SqliteException">The file cannot be opened as a database.</exception>
    public SqliteOnlineStore(SqliteOnlineStoreOptions options)
        : this(OpenFile(options), options)
    {
    }

    /// <summary>Opens (creating when missing) the store's database file at <paramref name="path"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="durability">How much a committed write survives.</param>
    public SqliteOnlineStore(string path, SqliteDurability durability = SqliteDurability.ProcessCrash)
        : this(new SqliteOnlineStoreOptions { Path = path, Durability = durability })
    {
    }

    /// <summary>
    /// A store over an open connection it then owns (Mlops.Testing's in-memory store passes a private in-memory
    /// database from <see cref="SqliteDatabase.OpenInMemory"/>): reads and writes share that one connection, one at a time.
    /// </summary>
    /// <param name="connection">An open connection; disposed with the store.</param>
    protected SqliteOnlineStore(SqliteConnection connection)
        : this(connection, null)
    {
    }

    private SqliteOnlineStore(SqliteConnection connection, SqliteOnlineStoreOptions? fileOptions)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _writer = connection;
        _fileOptions = fileOptions;
        _description = fileOptions is null ? "the online store's database" : $"online store '{fileOptions.Path}'";
        try
        {
            using (var schema = connection.CreateCommand())
            {
                schema.CommandText = Schema;
                schema.ExecuteNonQuery();
            }

            _upsert = Prepare(connection, UpsertSql, "$project", "$view", "$key", "$event", "$created", "$payload");
            _deleteView = Prepare(connection, "DELETE FROM online_rows WHERE project = $project AND feature_view = $view;", "$project", "$view");
            _sharedReader = fileOptions is null ? new ReadSession(connection, ownsConnection: false) : null;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override ValueTask<OnlineWriteResult> WriteAsync(string project, string featureView, IReadOnlyList<OnlineRow> rows, CancellationToken cancellationToken = default)
    {
        OnlineWriteBatch.ValidateTarget(project, featureView);
        cancellationToken.ThrowIfCancellationRequested();
        var newest = OnlineWriteBatch.NewestPerKey(featureView, rows);
        if (newest.Count == 0)
        {
            return ValueTask.FromResult(new OnlineWriteResult(0, 0));
        }

        // Encoded before the write lock is taken, so readers and other writers wait only for SQLite.
        var payloads = new byte[newest.Count][];
        for (var i = 0; i < payloads.Length; i++)
        {
            payloads[i] = OnlineValueCodec.EncodeRow(newest[i].Values);
        }

        long written = 0;
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var transaction = SqliteDatabase.BeginWrite(_writer);
            _upsert.Transaction = transaction;
            var parameters = _upsert.Parameters;
            parameters[0].Value = project;
            parameters[1].Value = featureView;
            for (var i = 0; i < newest.Count; i++)
            {
                if ((i & 255) == 255)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var row = newest[i];
                parameters[2].Value = row.Key.Canonical;
                parameters[3].Value = OnlineWriteBatch.EventOrder(row);
                parameters[4].Value = OnlineWriteBatch.CreatedOrder(row);
                parameters[5].Value = payloads[i];
                written += _upsert.ExecuteNonQuery();
            }

            cancellationToken.ThrowIfCancellationRequested();
            transaction.Commit();
        }

        return ValueTask.FromResult(new OnlineWriteResult(written, rows.Count - written));
    }

    /// <inheritdoc/>
    public override ValueTask<IReadOnlyList<OnlineRecord?>> ReadAsync(string project, string featureView, IReadOnlyList<EntityKey> keys, IReadOnlyList<string> features, CancellationToken cancellationToken = default)
    {
        OnlineWriteBatch.ValidateTarget(project, featureView);
        ArgumentNullException.ThrowIfNull(keys);
        var selection = new FeatureSelection(features);
        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i] is null)
            {
                throw new ArgumentException($"Entity key {i} read from feature view '{featureView}' is null.", nameof(keys));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var results = new OnlineRecord?[keys.Count];
        if (keys.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<OnlineRecord?>>(results);
        }

        var session = RentReader();
        try
        {
            if (keys.Count == 1)
            {
                results[0] = ReadOne(session, project, featureView, keys[0], selection);
            }
            else
            {
                for (var offset = 0; offset < keys.Count; offset += MaxKeysPerStatement)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (offset == keys.Count - 1)
                    {
                        results[offset] = ReadOne(session, project, featureView, keys[offset], selection);
                        break;
                    }

                    ReadChunk(session, project, featureView, keys, offset, Math.Min(MaxKeysPerStatement, keys.Count - offset), selection, results);
                }
            }
        }
        finally
        {
            ReturnReader(session);
        }

        return ValueTask.FromResult<IReadOnlyList<OnlineRecord?>>(results);
    }

    /// <inheritdoc/>
    public override ValueTask DeleteFeatureViewAsync(string project, string featureView, CancellationToken cancellationToken = default)
    {
        OnlineWriteBatch.ValidateTarget(project, featureView);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var transaction = SqliteDatabase.BeginWrite(_writer);
            _deleteView.Transaction = transaction;
            _deleteView.Parameters[0].Value = project;
            _deleteView.Parameters[1].Value = featureView;
            _deleteView.ExecuteNonQuery();
            transaction.Commit();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the database.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override ValueTask DisposeAsync()
    {
        Dispose();
        return base.DisposeAsync();
    }

    /// <summary>Closes the connections.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        lock (_writeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _sharedReader?.Dispose();
            _upsert.Dispose();
            _deleteView.Dispose();
            _writer.Dispose();
        }

        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }
    }

    private static SqliteConnection OpenFile(SqliteOnlineStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            throw new ArgumentException("SqliteOnlineStoreOptions.Path is empty; name the online store's database file.", nameof(options));
        }

        if (options.BusyTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"SqliteOnlineStoreOptions.BusyTimeout must be positive; it is {options.BusyTimeout}.", nameof(options));
        }

        return SqliteDatabase.Open(options.Path, options.BusyTimeout, options.Durability);
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    private OnlineRecord? ReadOne(ReadSession session, string project, string featureView, EntityKey key, FeatureSelection selection)
    {
        var command = session.Statement(1);
        var parameters = command.Parameters;
        parameters[0].Value = project;
        parameters[1].Value = featureView;
        parameters[2].Value = key.Canonical;
        using var reader = command.ExecuteReader();
        return reader.Read() ? Record(session, reader, project, featureView, key.Canonical, selection) : null;
    }

    private void ReadChunk(ReadSession session, string project, string featureView, IReadOnlyList<EntityKey> keys, int offset, int count, FeatureSelection selection, OnlineRecord?[] results)
    {
        var size = Array.Find(StatementSizes, s => s >= count);
        var command = session.Statement(size);
        var parameters = command.Parameters;
        parameters[0].Value = project;
        parameters[1].Value = featureView;
        for (var i = 0; i < size; i++)
        {
            // A short chunk repeats its last key: an IN list returns each row once.
            parameters[2 + i].Value = keys[offset + Math.Min(i, count - 1)].Canonical;
        }

        var found = new Dictionary<string, OnlineRecord>(count, StringComparer.Ordinal);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var canonical = reader.GetString(2);
                found[canonical] = Record(session, reader, project, featureView, canonical, selection);
            }
        }

        for (var i = 0; i < count; i++)
        {
            results[offset + i] = found.GetValueOrDefault(keys[offset + i].Canonical);
        }
    }

    private OnlineRecord Record(ReadSession session, SqliteDataReader reader, string project, string featureView, string canonical, FeatureSelection selection)
    {
        var eventOrder = reader.GetInt64(0);
        var length = (int)reader.GetBytes(1, 0, null, 0, 0);
        var buffer = session.Buffer(length);
        reader.GetBytes(1, 0, buffer, 0, length);
        var values = new Dictionary<string, object?>(selection.Count, StringComparer.Ordinal);
        try
        {
            OnlineValueCodec.DecodeRow(buffer.AsSpan(0, length), selection, values);
        }
        catch (FormatException e)
        {
            throw new DataFormatException(
                $"The stored row of feature view '{featureView}' (project '{project}', entity key {canonical}) cannot be decoded: {e.Message}",
                _description,
                innerException: e);
        }

        return new OnlineRecord(OnlineWriteBatch.EventTimestamp(eventOrder), values);
    }

    private ReadSession RentReader()
    {
        if (_sharedReader is not null)
        {
            // One connection for everything (in memory): reads take the write lock, released in ReturnReader.
            Monitor.Enter(_writeLock);
            if (_disposed)
            {
                Monitor.Exit(_writeLock);
                throw new ObjectDisposedException(GetType().FullName);
            }

            return _sharedReader;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_readers.TryTake(out var pooled))
        {
            return pooled;
        }

        return new ReadSession(SqliteDatabase.Open(_fileOptions!.Path, _fileOptions.BusyTimeout, _fileOptions.Durability), ownsConnection: true);
    }

    private void ReturnReader(ReadSession session)
    {
        if (ReferenceEquals(session, _sharedReader))
        {
            Monitor.Exit(_writeLock);
            return;
        }

        if (_disposed || _readers.Count >= _maxPooledReaders)
        {
            session.Dispose();
            return;
        }

        _readers.Add(session);

        // Disposed while returning: whoever saw the bag first disposes what is left in it.
        if (_disposed && _readers.TryTake(out var late))
        {
            late.Dispose();
        }
    }

    /// <summary>One connection's prepared read statements and decode buffer; used by one thread at a time.</summary>
    private sealed class ReadSession(SqliteConnection connection, bool ownsConnection) : IDisposable
    {
        private readonly SqliteCommand?[] _statements = new SqliteCommand?[StatementSizes.Length];
        private byte[] _buffer = new byte[256];

        public SqliteCommand Statement(int size)
        {
            var index = Array.IndexOf(StatementSizes, size);
            return _statements[index] ??= Create(size);
        }

        public byte[] Buffer(int length)
        {
            if (_buffer.Length < length)
            {
                _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
            }

            return _buffer;
        }

        public void Dispose()
        {
            foreach (var statement in _statements)
            {
                statement?.Dispose();
            }

            if (ownsConnection)
            {
                connection.Dispose();
            }
        }

        private SqliteCommand Create(int size)
        {
            var keyParameters = Enumerable.Range(0, size).Select(i => "$k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var sql = size == 1
                ? "SELECT event_ts, payload FROM online_rows WHERE project = $project AND feature_view = $view AND entity_key = $k0;"
                : $"SELECT event_ts, payload, entity_key FROM online_rows WHERE project = $project AND feature_view = $view AND entity_key IN ({string.Join(", ", keyParameters)});";
            return Prepare(connection, sql, ["$project", "$view", .. keyParameters]);
        }
    }
}
