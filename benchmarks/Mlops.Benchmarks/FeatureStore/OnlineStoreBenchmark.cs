using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Mlops.Data;
using Mlops.Features.FeatureStore.Online;
using Mlops.Features.Redis;
using StackExchange.Redis;

namespace Mlops.Benchmarks.FeatureStore;

/// <summary>
/// Online lookups side by side with the raw clients in one run, on the same data: a single entity's 3 features
/// (p50/p99 per call) and 100-key batches (keys/s), for SqliteOnlineStore vs a prepared SQLite SELECT by primary key,
/// and RedisOnlineStore vs StackExchange.Redis HMGET (against a redis-server it starts on loopback). Every loop is
/// bounded by a count and a time.
/// </summary>
/// <remarks>dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- online [--entities 10000] [--reads 20000] [--batches 500] [--seconds 5]</remarks>
public static class OnlineStoreBenchmark
{
    private const string Project = "bench";
    private const string View = "user_stats";
    private static readonly string[] Features = ["clicks_7d", "ctr_7d", "segment"];

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options)
    {
        var entities = Int(options, "entities", 10_000);
        var reads = Int(options, "reads", 20_000);
        var batches = Int(options, "batches", 500);
        var limit = TimeSpan.FromSeconds(Int(options, "seconds", 5));
        var rows = Enumerable.Range(0, entities).Select(i => new OnlineRow(
            EntityKey.Of("user_id", (long)i), DateTimeOffset.UnixEpoch.AddSeconds(i), null,
            new Dictionary<string, object?> { ["clicks_7d"] = (long)i, ["ctr_7d"] = i / 1000.0, ["segment"] = "s" + (i % 7).ToString(CultureInfo.InvariantCulture) })).ToArray();
        Console.WriteLine($"online lookups: {entities:N0} entities x 3 features; {reads:N0} single reads, {batches:N0} batches of 100 keys, each loop at most {limit.TotalSeconds:0} s");
        Console.WriteLine($"{"case",-34} {"p50 µs",9} {"p99 µs",9} {"batch keys/s",14}");

        var folder = Path.Combine(Path.GetTempPath(), $"mlops-online-bench-{Guid.NewGuid():N}");
        try
        {
            var path = Path.Combine(folder, "online.db");
            await using (var store = new SqliteOnlineStore(path))
            {
                await store.WriteAsync(Project, View, rows);
                using var raw = SqliteDatabase.Open(path, SqliteDatabase.DefaultBusyTimeout);
                var rawSingle = RawSqlite.Prepare(raw, 1);
                var rawBatch = RawSqlite.Prepare(raw, 100);
                var buffer = new byte[1024];
                Report("SQLite raw prepared SELECT", await Singles(entities, reads, limit, key => { RawSqlite.Read(rawSingle, [key], buffer); return ValueTask.CompletedTask; }),
                    await Batches(entities, batches, limit, keys => { RawSqlite.Read(rawBatch, keys, buffer); return ValueTask.CompletedTask; }));
                Report("SqliteOnlineStore", await Singles(entities, reads, limit, async key => await store.ReadAsync(Project, View, [key], Features)),
                    await Batches(entities, batches, limit, async keys => await store.ReadAsync(Project, View, keys, Features)));
            }

            await using var server = await RedisProcess.StartAsync(folder);
            await using (var store = new RedisOnlineStore(new RedisOnlineStoreOptions { ConnectionString = server.ConnectionString, KeyPrefix = "bench:" }))
            {
                await store.WriteAsync(Project, View, rows);
                await using var raw = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
                var database = raw.GetDatabase();
                var prefix = RedisKeyLayout.ViewPrefix("bench:", Project, View);
                RedisValue[] fields = [.. Features.Select(RedisKeyLayout.FeatureField)];
                Report("Redis raw HMGET (StackExchange)", await Singles(entities, reads, limit, async key => await database.HashGetAsync(prefix + key.Canonical, fields)),
                    await Batches(entities, batches, limit, async keys =>
                    {
                        var batch = database.CreateBatch();
                        var replies = keys.Select(k => batch.HashGetAsync(prefix + k.Canonical, fields)).ToArray();
                        batch.Execute();
                        await Task.WhenAll(replies);
                    }));
                Report("RedisOnlineStore", await Singles(entities, reads, limit, async key => await store.ReadAsync(Project, View, [key], Features)),
                    await Batches(entities, batches, limit, async keys => await store.ReadAsync(Project, View, keys, Features)));
            }
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        return 0;
    }

    private static async Task<double[]> Singles(int entities, int reads, TimeSpan limit, Func<EntityKey, ValueTask> read)
    {
        var random = new Random(42);
        var keys = Enumerable.Range(0, 1024).Select(_ => EntityKey.Of("user_id", (long)random.Next(entities))).ToArray();
        for (var i = 0; i < Math.Min(2000, reads); i++)
        {
            await read(keys[i & 1023]);
        }

        var samples = new List<double>(reads);
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; i < reads && Stopwatch.GetTimestamp() < deadline; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await read(keys[i & 1023]);
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        samples.Sort();
        return [.. samples];
    }

    private static async Task<double> Batches(int entities, int batches, TimeSpan limit, Func<EntityKey[], ValueTask> read)
    {
        var random = new Random(7);
        var sets = Enumerable.Range(0, 64).Select(_ => Enumerable.Range(0, 100).Select(_ => EntityKey.Of("user_id", (long)random.Next(entities))).ToArray()).ToArray();
        for (var i = 0; i < Math.Min(20, batches); i++)
        {
            await read(sets[i & 63]);
        }

        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        var done = 0;
        for (; done < batches && Stopwatch.GetTimestamp() < deadline; done++)
        {
            await read(sets[done & 63]);
        }

        return done * 100 / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static void Report(string name, double[] singles, double keysPerSecond) =>
        Console.WriteLine($"{name,-34} {Percentile(singles, 0.50),9:0.0} {Percentile(singles, 0.99),9:0.0} {keysPerSecond,14:N0}");

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static int Int(IReadOnlyDictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The raw client: a prepared SELECT by primary key on the store's own table, reading the same columns.</summary>
    private static class RawSqlite
    {
        public static SqliteCommand Prepare(SqliteConnection connection, int keys)
        {
            var command = connection.CreateCommand();
            var names = Enumerable.Range(0, keys).Select(i => "$k" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            command.CommandText = $"SELECT event_ts, payload FROM online_rows WHERE project = $p AND feature_view = $v AND entity_key IN ({string.Join(", ", names)});";
            command.Parameters.Add(new SqliteParameter("$p", Project));
            command.Parameters.Add(new SqliteParameter("$v", View));
            foreach (var name in names)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            command.Prepare();
            return command;
        }

        public static void Read(SqliteCommand command, EntityKey[] keys, byte[] buffer)
        {
            for (var i = 0; i < keys.Length; i++)
            {
                command.Parameters[2 + i].Value = keys[i].Canonical;
            }

            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                _ = reader.GetInt64(0);
                reader.GetBytes(1, 0, buffer, 0, buffer.Length);
            }
        }
    }

    /// <summary>A redis-server on a free loopback port, persistence off, killed on dispose.</summary>
    private sealed class RedisProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private RedisProcess(Process process, int port)
        {
            _process = process;
            ConnectionString = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        }

        public string ConnectionString { get; }

        public static async Task<RedisProcess> StartAsync(string folder)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            var start = new ProcessStartInfo(File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (var argument in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder })
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start; install it (apt-get install -y redis-server).");
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    await using var probe = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},connectTimeout=1000");
                    await probe.GetDatabase().PingAsync();
                    return new RedisProcess(process, port);
                }
                catch (RedisConnectionException)
                {
                    await Task.Delay(100);
                }
            }

            process.Kill();
            throw new InvalidOperationException($"redis-server did not answer on port {port} within 20 s.");
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
