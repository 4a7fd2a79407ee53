using Mlops.Features.FeatureStore.Online;
using Mlops.Hosting;
using StackExchange.Redis;

namespace Mlops.Features.Redis;

/// <summary>
/// The feature store's online store on Redis (StackExchange.Redis). One hash per (project, feature view, entity key)
/// holds the view's newest row: a field per feature (<c>f:&lt;name&gt;</c>, the value in the online value encoding, so
/// types round-trip exactly) and the row's event and created timestamps (<c>_ts</c>, <c>_ct</c>).
/// </summary>
/// <remarks>
/// <para>Newer-wins is atomic under any number of concurrent writers: each row is written by one Lua script that
/// compares the timestamps inside Redis and replaces the hash only when the row is newer (equal event timestamps: the
/// later created timestamp, then the later write). The script is loaded once per server and sent as <c>EVALSHA</c>;
/// when a server has lost its script cache (a restart, <c>SCRIPT FLUSH</c>) the store loads it again and resends.</para>
/// <para>A read is one round trip however many keys it asks for: one <c>HMGET</c> per key of only the requested
/// fields, pipelined in one batch. Writes are pipelined in batches of 1,000 rows.</para>
/// <para>Every operation is bounded by <see cref="RedisOnlineStoreOptions.OperationTimeout"/> and connecting by
/// <see cref="RedisOnlineStoreOptions.ConnectTimeout"/>; an unreachable, slow or refusing server is a
/// <see cref="RedisOnlineStoreException"/> naming the endpoint. StackExchange.Redis cannot withdraw a command it has
/// sent, so cancellation stops the waiting: rows of a write already sent may still be stored.</para>
/// </remarks>
public sealed class RedisOnlineStore : OnlineStore, IDisposable
{
    private const int RowsPerBatch = 1000;

    private static readonly RedisValue EventField = "_ts";

    private readonly ConfigurationOptions? _configuration;
    private readonly string _endpoints;
    private readonly string _keyPrefix;
    private readonly TimeSpan _connectTimeout;
    private readonly bool _ownsConnection;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private IConnectionMultiplexer? _connection;
    private volatile bool _scriptsLoaded;
    private volatile IDatabase? _database;
    private volatile byte[]? _scriptHash;
    private volatile bool _disposed;

    /// <summary>Creates a store that connects to Redis on first use (and reconnects by itself after an outage).</summary>
    /// <param name="options">The connection string, key prefix and timeouts.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options break a rule; the message lists each.</exception>
    public RedisOnlineStore(RedisOnlineStoreOptions options)
    {
        MlopsOptions.Validate(options, new RedisOnlineStoreOptionsValidator());
        _configuration = ConfigurationOptions.Parse(options.ConnectionString);
        _configuration.ConnectTimeout = Milliseconds(options.ConnectTimeout);
        _configuration.AsyncTimeout = Milliseconds(options.OperationTimeout);
        _configuration.SyncTimeout = Milliseconds(options.OperationTimeout);

        // Fail the first connect with an error rather than hand back a multiplexer that is not connected.
        _configuration.AbortOnConnectFail = true;
        _connectTimeout = options.ConnectTimeout;
        _endpoints = string.Join(",", _configuration.EndPoints.Select(Format));
        _keyPrefix = options.KeyPrefix;
        _ownsConnection = true;
    }

    /// <summary>
    /// Creates a store over a connection the application already has (StackExchange.Redis advises one per
    /// application); the store does not dispose it. Timeouts are the connection's own.
    /// </summary>
    /// <param name="connection">A connected multiplexer.</param>
    /// <param name="keyPrefix">Prepended to every key the store writes.</param>
    public RedisOnlineStore(IConnectionMultiplexer connection, string keyPrefix = RedisOnlineStoreOptions.DefaultKeyPrefix)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        _connection = connection;
        _endpoints = string.Join(",", connection.GetEndPoints().Select(Format));
        _keyPrefix = keyPrefix;
        _ownsConnection = false;
    }

    /// <inheritdoc/>
    /// <exception cref="RedisOnlineStoreException">Redis is unreachable, too slow or refused the write.</exception>
    public override async ValueTask<OnlineWriteResult> WriteAsync(string project, string featureView, IReadOnlyList<OnlineRow> rows, CancellationToken cancellationToken = default)
    {
        OnlineWriteBatch.ValidateTarget(project, featureView);
        cancellationToken.ThrowIfCancellationRequested();
        var newest = OnlineWriteBatch.NewestPerKey(featureView, rows);

        // Encoded before anything is sent, so a bad value leaves Redis untouched.
        var keys = new RedisKey[newest.Count];
        var arguments = new RedisValue[newest.Count][];
        var viewPrefix = RedisKeyLayout.ViewPrefix(_keyPrefix, project, featureView);
        for (var i = 0; i < newest.Count; i++)
        {
            keys[i] = viewPrefix + newest[i].Key.Canonical;
            arguments[i] = RedisRowScript.Arguments(newest[i]);
        }

        if (newest.Count == 0)
        {
            return new OnlineWriteResult(0, 0);
        }

        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        long written = 0;
        for (var offset = 0; offset < keys.Length; offset += RowsPerBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(RowsPerBatch, keys.Length - offset);
            var replies = SendRows(database, keys, arguments, offset, count);
            if (await HasLostScriptAsync(replies, featureView, cancellationToken).ConfigureAwait(false))
            {
                // The server lost its script cache (a restart or SCRIPT FLUSH): load it again and resend the batch.
                // Resending is safe: a row already stored ties with itself and is stored again.
                _scriptHash = null;
                await LoadScriptsAsync(database.Multiplexer, cancellationToken).ConfigureAwait(false);
                replies = SendRows(database, keys, arguments, offset, count);
                await GuardAsync(Task.WhenAll(replies), "write to", featureView, cancellationToken).ConfigureAwait(false);
            }

            foreach (var reply in replies)
            {
                written += (long)await reply.ConfigureAwait(false);
            }
        }

        return new OnlineWriteResult(written, rows.Count - written);
    }

    /// <inheritdoc/>
    /// <exception cref="RedisOnlineStoreException">Redis is unreachable, too slow or refused the read.</exception>
    /// <exception cref="DataFormatException">A stored value is not in the online value encoding (the key was written by something else).</exception>
    public override async ValueTask<IReadOnlyList<OnlineRecord?>> ReadAsync(string project, string featureView, IReadOnlyList<EntityKey> keys, IReadOnlyList<string> features, CancellationToken cancellationToken = default)
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
            return results;
        }

        var fields = new RedisValue[selection.Count + 1];
        fields[0] = EventField;
        for (var i = 0; i < selection.Count; i++)
        {
            fields[i + 1] = RedisKeyLayout.FeatureField(selection.Names[i]);
        }

        var viewPrefix = RedisKeyLayout.ViewPrefix(_keyPrefix, project, featureView);
        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        if (keys.Count == 1)
        {
            // The single-entity path (online serving) awaits the reply directly: no batch, no extra state machine.
            RedisValue[] values;
            try
            {
                values = await database.HashGetAsync(viewPrefix + keys[0].Canonical, fields).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or RedisTimeoutException)
            {
                throw Translate(e, "read from", featureView);
            }

            results[0] = Record(values, selection, project, featureView, keys[0]);
            return results;
        }

        var batch = database.CreateBatch();
        var replies = new Task<RedisValue[]>[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            replies[i] = batch.HashGetAsync(viewPrefix + keys[i].Canonical, fields);
        }

        batch.Execute();
        await GuardAsync(Task.WhenAll(replies), "read from", featureView, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < keys.Count; i++)
        {
            results[i] = Record(await replies[i].ConfigureAwait(false), selection, project, featureView, keys[i]);
        }

        return results;
    }

    /// <inheritdoc/>
    /// <remarks>Finds the view's keys with <c>SCAN</c> on every primary and deletes them in pipelined batches.</remarks>
    /// <exception cref="RedisOnlineStoreException">Redis is unreachable, too slow or refused the delete.</exception>
    public override async ValueTask DeleteFeatureViewAsync(string project, string featureView, CancellationToken cancellationToken = default)
    {
        OnlineWriteBatch.ValidateTarget(project, featureView);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var pattern = RedisKeyLayout.GlobEscape(RedisKeyLayout.ViewPrefix(_keyPrefix, project, featureView)) + "*";
        var connection = database.Multiplexer;
        foreach (var endpoint in connection.GetEndPoints())
        {
            var server = connection.GetServer(endpoint);
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            var pending = new List<RedisKey>(RowsPerBatch);
            try
            {
                await foreach (var key in server.KeysAsync(database.Database, pattern, pageSize: RowsPerBatch).WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    pending.Add(key);
                    if (pending.Count == RowsPerBatch)
                    {
                        await DeleteAsync(database, pending, featureView, cancellationToken).ConfigureAwait(false);
                        pending.Clear();
                    }
                }
            }
            catch (Exception e) when (e is RedisException or RedisTimeoutException)
            {
                throw Translate(e, "delete", featureView);
            }

            await DeleteAsync(database, pending, featureView, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<RedisResult>[] SendRows(IDatabase database, RedisKey[] keys, RedisValue[][] arguments, int offset, int count)
    {
        var batch = database.CreateBatch();
        var replies = new Task<RedisResult>[count];
        var hash = _scriptHash;
        for (var i = 0; i < count; i++)
        {
            // EVALSHA of the loaded script; EVAL with its text only where the server refused to load it.
            replies[i] = hash is not null
                ? batch.ScriptEvaluateAsync(hash, [keys[offset + i]], arguments[offset + i])
                : batch.ScriptEvaluateAsync(RedisRowScript.Source, [keys[offset + i]], arguments[offset + i]);
        }

        batch.Execute();
        return replies;
    }

    private async Task<bool> HasLostScriptAsync(Task<RedisResult>[] replies, string featureView, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(replies).WaitAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (RedisServerException) when (replies.Any(r => r.Exception?.InnerException is RedisServerException e && e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal)))
        {
            return true;
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            throw Translate(e, "write to", featureView);
        }
    }

    /// <summary>Closes the connection (when the store opened it).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_ownsConnection)
        {
            _connection?.Dispose();
        }

        _connectLock.Dispose();
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_ownsConnection && _connection is not null)
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
            }

            _connectLock.Dispose();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private static int Milliseconds(TimeSpan value) => (int)Math.Ceiling(value.TotalMilliseconds);

    private static string Format(System.Net.EndPoint endpoint) => EndPointCollection.ToString(endpoint);

    private static OnlineRecord? Record(RedisValue[] values, FeatureSelection selection, string project, string featureView, EntityKey key)
    {
        if (values[0].IsNull)
        {
            return null;
        }

        try
        {
            var eventOrder = long.Parse((string)values[0]!, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
            var features = new Dictionary<string, object?>(selection.Count, StringComparer.Ordinal);
            for (var i = 0; i < selection.Count; i++)
            {
                var value = values[i + 1];
                if (!value.IsNull)
                {
                    features[selection.Names[i]] = OnlineValueCodec.DecodeValue(((ReadOnlyMemory<byte>)value).Span);
                }
            }

            return new OnlineRecord(OnlineWriteBatch.EventTimestamp(eventOrder), features);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            throw new DataFormatException(
                $"The stored row of feature view '{featureView}' (project '{project}', entity key {key.Canonical}) cannot be decoded: {e.Message}. Was the key written by something other than this store?",
                "Redis online store",
                innerException: e);
        }
    }

    private async Task DeleteAsync(IDatabase database, List<RedisKey> keys, string featureView, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return;
        }

        // One DEL per key, pipelined: keys of one view hash to different cluster slots.
        var batch = database.CreateBatch();
        var replies = keys.Select(key => batch.KeyDeleteAsync(key)).ToArray();
        batch.Execute();
        await GuardAsync(Task.WhenAll(replies), "delete from", featureView, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _database is { } ready ? ValueTask.FromResult(ready) : ConnectOnceAsync(cancellationToken);
    }

    private async ValueTask<IDatabase> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _connection ??= await ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (!_scriptsLoaded)
            {
                await LoadScriptsAsync(_connection, cancellationToken).ConfigureAwait(false);
                _scriptsLoaded = true;
            }

            return _database = _connection.GetDatabase();
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<IConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        // StackExchange.Redis bounds each attempt by ConnectTimeout; the outer bound covers its retries too.
        var bound = (_connectTimeout * (_configuration!.ConnectRetry + 1)) + TimeSpan.FromSeconds(1);
        var connecting = ConnectionMultiplexer.ConnectAsync(_configuration);
        try
        {
            return await connecting.WaitAsync(bound, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            _ = connecting.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw new RedisOnlineStoreException(
                $"The Redis online store could not connect to {_endpoints} within {bound.TotalSeconds:0.#} s. Check that Redis runs there and is reachable, or raise ConnectTimeout.",
                _endpoints,
                e);
        }
        catch (RedisConnectionException e)
        {
            throw new RedisOnlineStoreException(
                $"The Redis online store could not connect to {_endpoints}: {e.Message} Check that Redis runs there and is reachable (ConnectionString, ConnectTimeout {_connectTimeout.TotalSeconds:0.#} s).",
                _endpoints,
                e);
        }
    }

    private async Task LoadScriptsAsync(IConnectionMultiplexer connection, CancellationToken cancellationToken)
    {
        // Loaded, the script is sent as EVALSHA by its hash (the same on every server); where loading is refused, as EVAL.
        foreach (var endpoint in connection.GetEndPoints())
        {
            var server = connection.GetServer(endpoint);
            if (!server.IsConnected)
            {
                continue;
            }

            try
            {
                _scriptHash = await server.ScriptLoadAsync(RedisRowScript.Source).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException)
            {
                // SCRIPT LOAD refused (an ACL): EVAL still works.
            }
            catch (Exception e) when (e is RedisException or RedisTimeoutException)
            {
                throw Translate(e, "prepare", "(all views)");
            }
        }
    }

    private async Task GuardAsync(Task operation, string verb, string featureView, CancellationToken cancellationToken)
    {
        try
        {
            await operation.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            throw Translate(e, verb, featureView);
        }
    }

    private async Task<T> GuardAsync<T>(Task<T> operation, string verb, string featureView, CancellationToken cancellationToken)
    {
        try
        {
            return await operation.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            throw Translate(e, verb, featureView);
        }
    }

    private RedisOnlineStoreException Translate(Exception error, string verb, string featureView)
    {
        var what = $"The Redis online store could not {verb} feature view '{featureView}' at {_endpoints}";
        return error switch
        {
            RedisTimeoutException => new RedisOnlineStoreException($"{what}: Redis did not answer in time ({error.Message}). Check the server's load and the network, or raise OperationTimeout.", _endpoints, error),
            RedisConnectionException => new RedisOnlineStoreException($"{what}: the connection failed ({error.Message}). Check that Redis runs there and is reachable.", _endpoints, error),
            _ => new RedisOnlineStoreException($"{what}: Redis refused the command ({error.Message}).", _endpoints, error),
        };
    }
}
