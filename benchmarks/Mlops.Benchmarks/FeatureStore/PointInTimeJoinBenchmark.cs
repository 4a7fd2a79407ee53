using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using DuckDB.NET.Data;
using Mlops.Features;
using Mlops.Features.FeatureStore;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Retrieval;
using Mlops.Testing.FeatureStore;

namespace Mlops.Benchmarks.FeatureStore;

/// <summary>
/// Feast's point-in-time join side by side with DuckDB in one run, on the same Parquet files (see
/// <see cref="PointInTimeJoinData"/>): <see cref="FeatureStoreClient.GetHistoricalFeatures(Frame, IReadOnlyList{string}, bool)"/>
/// at each memory budget (reading both files itself) against DuckDB's <c>ASOF LEFT JOIN</c> on tables it loaded first
/// (load timed apart), both on the same number of threads. Each repeat's time is printed and the median compared.
/// Both outputs are checked value by value in entity-row order; a difference fails the run.
/// </summary>
/// <remarks>dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- pit-join [--entities 1000000] [--features 10000000] [--keys 100000] [--repeats 3] [--threads 2] [--budgets 256m,16m] [--dir D]</remarks>
internal static class PointInTimeJoinBenchmark
{
    private const long TtlMicros = 7 * 24 * 3_600_000_000L;
    private static readonly string[] FeatureNames = ["clicks", "score", "ratio"];

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options)
    {
        var data = new PointInTimeJoinData(Long(options, "entities", 1_000_000), Long(options, "features", 10_000_000), Long(options, "keys", 100_000));
        var repeats = (int)Long(options, "repeats", 3);
        var threads = (int)Long(options, "threads", 2);
        var budgets = options.GetValueOrDefault("budgets", "256m,16m").Split(',').Select(Bytes).ToArray();
        var root = Path.GetFullPath(options.GetValueOrDefault("dir", Path.Combine(Path.GetTempPath(), "mlops-pit-join")));
        var watch = Stopwatch.StartNew();
        var (entities, features) = data.EnsureWritten(root);
        Console.WriteLine($"data in {data.Folder(root)} ({watch.Elapsed.TotalSeconds:0.0} s to generate or find)");
        Console.WriteLine($"point-in-time join: {data.Entities:N0} entity rows x {data.Features:N0} feature rows ({data.Keys:N0} keys, 60 days, TTL 7 d, created tie-break), {threads} threads, {Environment.ProcessorCount} cores, median of {repeats}");

        var duck = RunDuckDb(entities, features, threads, repeats);
        var session = new FrameSession(new FeaturesOptions { DegreeOfParallelism = threads });
        var ours = new List<(string Name, double[] Seconds, JoinedColumns Output, SpillStatistics? Stats)>();
        foreach (var budget in budgets)
        {
            ours.Add(await RunOursAsync(session, entities, features, budget, repeats, root));
        }

        var breakdown = ReadOnly(session, entities, features);

        // The DuckDB baseline is its fastest form that computes Feast's semantics (the reference form does not).
        var baseline = duck.Forms.Where(f => f.Exact && f.Output is not null).MinBy(f => Median(f.Seconds))
            ?? throw new InvalidOperationException("No exact DuckDB form ran.");
        var duckJoin = Median(baseline.Seconds);
        var duckTotal = Median(duck.Load.Zip(baseline.Seconds, (l, j) => l + j).ToArray());
        Console.WriteLine();
        Console.WriteLine($"{"case",-52} {string.Join(" ", Enumerable.Range(1, repeats).Select(r => $"{"run " + r,8}"))} {"median",8} {"vs join",8} {"vs l+j",8}");
        foreach (var (name, seconds, _, stats) in ours)
        {
            Row(name, seconds, duckJoin, duckTotal);
            if (stats is not null)
            {
                Console.WriteLine($"  partitions {stats.Partitions}, spill files {stats.SpillFiles}, spilled rows {stats.SpilledRows:N0}, peak partition rows {stats.PeakPartitionRows:N0}");
                Console.WriteLine($"  last run: entities {stats.EntityPartitioning.TotalSeconds:0.000} s, features {stats.FeaturePartitioning.TotalSeconds:0.000} s, merge {stats.Merging.TotalSeconds:0.000} s (of which sort {stats.Sorting.TotalSeconds:0.000} s), assembly {stats.Assembling.TotalSeconds:0.000} s");
            }
        }

        foreach (var form in duck.Forms)
        {
            if (form.Output is null)
            {
                Console.WriteLine($"{"DuckDB " + form.Name,-52} failed: {form.Error}");
                continue;
            }

            Row("DuckDB " + form.Name + (form == baseline ? " *" : string.Empty), form.Seconds, duckJoin, duckTotal);
        }

        Row("DuckDB load (Parquet -> tables)", duck.Load, null, null);
        Row("DuckDB load + join *", duck.Load.Zip(baseline.Seconds, (l, j) => l + j).ToArray(), duckJoin, duckTotal);
        Console.WriteLine($"  * the baseline: DuckDB's fastest exact form. Of ours: decoding the feature Parquet alone {breakdown.Features:0.000} s, the entity Parquet {breakdown.Entities:0.000} s ({threads} threads)");

        var failed = false;
        foreach (var form in duck.Forms.Where(f => f.Output is not null))
        {
            foreach (var (name, _, output, _) in ours)
            {
                var (mismatches, examples) = Compare(output, form.Output!);
                var verdict = mismatches == 0 ? "yes" : "no";
                Console.WriteLine($"results equal ({name} vs DuckDB {form.Name}): {verdict} ({mismatches:N0} mismatches){(form.Exact ? string.Empty : " [reference only: not Feast's semantics, not a failure]")}");
                foreach (var example in form.Exact ? examples : [])
                {
                    Console.WriteLine("  " + example);
                }

                failed |= form.Exact && mismatches != 0;
            }
        }

        var output0 = baseline.Output!;
        var matched = Enumerable.Range(0, output0.Rows).Count(i => output0.Score[i] is not null);
        Console.WriteLine($"matched entity rows: {matched:N0} of {output0.Rows:N0}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT entities={data.Entities} features={data.Features} duckdb_join={duckJoin:0.000}s ({baseline.Name}) duckdb_load={Median(duck.Load):0.000}s {string.Join(" ", ours.Select(o => $"mlops[{o.Name}]={Median(o.Seconds):0.000}s ratio={Median(o.Seconds) / duckJoin:0.00}x"))} equal={(!failed ? "yes" : "no")}"));
        return failed ? 1 : 0;
    }

    private static async Task<(string, double[], JoinedColumns, SpillStatistics?)> RunOursAsync(FrameSession session, string entities, string features, long budget, int repeats, string root)
    {
        using var registry = new InMemoryFeatureRegistry("bench");
        await using var online = new InMemoryOnlineStore();
        var client = new FeatureStoreClient(registry, online, new FeatureStoreOptions { Project = "bench", MemoryBudgetBytes = budget, SpillDirectory = Path.Combine(root, "spill") }, session);
        SpillStatistics? stats = null;
        client.SpillObserver = s => stats = s;
        var view = new FeatureView("stats", new FileSource("stats_source", features) { CreatedTimestampField = "created" }, ["user"], [new FeatureField("clicks", FeatureValueType.Int64), new FeatureField("score", FeatureValueType.Float64), new FeatureField("ratio", FeatureValueType.Float32)])
        {
            Ttl = TimeSpan.FromDays(7),
        };
        await client.ApplyAsync([new Entity("user", ["entity_id"], FeatureValueType.Int64), view]);
        var seconds = new double[repeats];
        JoinedColumns? output = null;
        var name = $"GetHistoricalFeatures ({budget / (1024.0 * 1024):0.#} MiB)";
        for (var r = 0; r < repeats; r++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var watch = Stopwatch.StartNew();
            var batches = client.GetHistoricalFeatures(session.ReadParquet(entities), ["stats:clicks", "stats:score", "stats:ratio"]).ReadBatches().ToList();
            seconds[r] = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"  {name} run {r + 1}: {seconds[r]:0.000} s");
            output ??= JoinedColumns.FromBatches(batches);
        }

        return (name, seconds, output!, stats);
    }

    private static (double[] Load, List<DuckDbForm> Forms) RunDuckDb(string entities, string features, int threads, int repeats)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        Execute(connection, $"SET threads = {threads}; SET preserve_insertion_order = true;");
        var load = new double[repeats];
        var forms = DuckDbForm.All(repeats);
        for (var r = 0; r < repeats; r++)
        {
            Execute(connection, "DROP TABLE IF EXISTS entities; DROP TABLE IF EXISTS features; DROP TABLE IF EXISTS result;");
            var watch = Stopwatch.StartNew();
            Execute(connection, $"""
                CREATE TABLE entities AS SELECT * FROM read_parquet('{Glob(entities)}');
                CREATE TABLE features AS SELECT * FROM read_parquet('{Glob(features)}');
                """);
            load[r] = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"  DuckDB run {r + 1}: load {load[r]:0.000} s");
            foreach (var form in forms.Where(f => f.Error is null))
            {
                Execute(connection, "DROP TABLE IF EXISTS result;");
                watch.Restart();
                try
                {
                    Execute(connection, "CREATE TABLE result AS " + form.Sql);
                }
                catch (DuckDBException e)
                {
                    form.Error = e.Message;
                    continue;
                }

                form.Seconds[r] = watch.Elapsed.TotalSeconds;
                Console.WriteLine($"    {form.Name}: {form.Seconds[r]:0.000} s");
                form.Output ??= JoinedColumns.FromDuckDb(connection);
            }
        }

        return (load, forms);
    }

    /// <summary>Decoding alone (every column, the same threads): the floor under our time that the join cannot go below.</summary>
    private static (double Features, double Entities) ReadOnly(FrameSession session, string entities, string features)
    {
        static double Time(Func<long> read)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var watch = Stopwatch.StartNew();
            read();
            return watch.Elapsed.TotalSeconds;
        }

        return (Time(() => session.ReadParquet(features).ReadBatches().Sum(b => (long)b.Length)), Time(() => session.ReadParquet(entities).ReadBatches().Sum(b => (long)b.Length)));
    }

    private static (long Mismatches, List<string> Examples) Compare(JoinedColumns ours, JoinedColumns duck)
    {
        var examples = new List<string>();
        long mismatches = Math.Abs(ours.Rows - duck.Rows);
        if (ours.Rows != duck.Rows)
        {
            examples.Add($"row counts differ: ours {ours.Rows:N0}, DuckDB {duck.Rows:N0}");
        }

        for (var i = 0; i < Math.Min(ours.Rows, duck.Rows); i++)
        {
            // Floats compare exactly (Equals: NaN equals NaN): both sides copy them from the file, neither computes them.
            if (ours.RowId[i] != duck.RowId[i] || !Equals(ours.Clicks[i], duck.Clicks[i]) || !Equals(ours.Score[i], duck.Score[i]) || !Equals(ours.Ratio[i], duck.Ratio[i]))
            {
                if (++mismatches <= 5)
                {
                    examples.Add($"row {i}: ours (row_id {ours.RowId[i]}, {ours.Clicks[i]}, {ours.Score[i]:R}, {ours.Ratio[i]:R}) DuckDB (row_id {duck.RowId[i]}, {duck.Clicks[i]}, {duck.Score[i]:R}, {duck.Ratio[i]:R})");
                }
            }
        }

        return (mismatches, examples);
    }

    private static void Row(string name, double[] seconds, double? join, double? total)
    {
        var median = Median(seconds);
        var ratios = join is null ? $"{"",8} {"",8}" : $"{median / join.Value,7:0.00}x {median / total!.Value,7:0.00}x";
        Console.WriteLine($"{name,-52} {string.Join(" ", seconds.Select(s => $"{s,8:0.000}"))} {median,8:0.000} {ratios}");
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Glob(string folder) => Path.Combine(folder, "*.parquet").Replace("'", "''", StringComparison.Ordinal);

    private static long Long(IReadOnlyDictionary<string, string> options, string name, long fallback) =>
        options.TryGetValue(name, out var text) ? long.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static long Bytes(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        var scale = t.EndsWith('g') ? 1L << 30 : t.EndsWith('m') ? 1L << 20 : t.EndsWith('k') ? 1L << 10 : 1;
        return long.Parse(scale == 1 ? t : t[..^1], CultureInfo.InvariantCulture) * scale;
    }

    /// <summary>
    /// One way of writing the join in DuckDB SQL, with its times and first output. DuckDB's ASOF join picks an
    /// arbitrary row among rows tied on its inequality column, so the exact forms settle the created-timestamp
    /// tie-break themselves: first (the latest created per entity and event time, by a window or by <c>arg_max</c>), or
    /// by making (event time, created) the inequality as a struct. Each then nulls a match older than the TTL (the
    /// latest match being too old means every earlier one is too). The reference form skips the tie-break.
    /// </summary>
    private sealed class DuckDbForm(string name, bool exact, string sql, int repeats)
    {
        private static readonly string Ttl = $"epoch_us(f.event_timestamp) >= epoch_us(e.event_timestamp) - {TtlMicros}";

        public string Name { get; } = name;

        public bool Exact { get; } = exact;

        public string Sql { get; } = sql;

        public double[] Seconds { get; } = new double[repeats];

        public JoinedColumns? Output { get; set; }

        public string? Error { get; set; }

        public static List<DuckDbForm> All(int repeats) =>
        [
            new("ASOF LEFT JOIN on latest-created (QUALIFY)", true, $"""
                WITH latest AS (
                  SELECT entity_id, event_timestamp, clicks, score, ratio FROM features
                  QUALIFY row_number() OVER (PARTITION BY entity_id, event_timestamp ORDER BY created DESC) = 1)
                SELECT e.row_id, CASE WHEN {Ttl} THEN f.clicks END AS clicks, CASE WHEN {Ttl} THEN f.score END AS score, CASE WHEN {Ttl} THEN f.ratio END AS ratio
                FROM entities e ASOF LEFT JOIN latest f ON e.entity_id = f.entity_id AND e.event_timestamp >= f.event_timestamp
                """, repeats),
            new("ASOF LEFT JOIN on latest-created (arg_max)", true, $$"""
                WITH latest AS (
                  SELECT entity_id, event_timestamp, arg_max({'clicks': clicks, 'score': score, 'ratio': ratio}, created) AS v FROM features
                  GROUP BY entity_id, event_timestamp)
                SELECT e.row_id, CASE WHEN {{Ttl}} THEN f.v.clicks END AS clicks, CASE WHEN {{Ttl}} THEN f.v.score END AS score, CASE WHEN {{Ttl}} THEN f.v.ratio END AS ratio
                FROM entities e ASOF LEFT JOIN latest f ON e.entity_id = f.entity_id AND e.event_timestamp >= f.event_timestamp
                """, repeats),
            new("ASOF LEFT JOIN on (event, created) struct", true, $$"""
                SELECT e.row_id, CASE WHEN {{Ttl}} THEN f.clicks END AS clicks, CASE WHEN {{Ttl}} THEN f.score END AS score, CASE WHEN {{Ttl}} THEN f.ratio END AS ratio
                FROM entities e ASOF LEFT JOIN features f ON e.entity_id = f.entity_id
                  AND {'t': e.event_timestamp, 'c': 'infinity'::TIMESTAMPTZ} >= {'t': f.event_timestamp, 'c': f.created}
                """, repeats),
            new("ASOF LEFT JOIN, no tie-break (reference)", false, $"""
                SELECT e.row_id, CASE WHEN {Ttl} THEN f.clicks END AS clicks, CASE WHEN {Ttl} THEN f.score END AS score, CASE WHEN {Ttl} THEN f.ratio END AS ratio
                FROM entities e ASOF LEFT JOIN features f ON e.entity_id = f.entity_id AND e.event_timestamp >= f.event_timestamp
                """, repeats),
        ];
    }

    /// <summary>The compared columns of a joined output, in entity-row order.</summary>
    private sealed record JoinedColumns(long[] RowId, long?[] Clicks, double?[] Score, float?[] Ratio)
    {
        public int Rows => RowId.Length;

        public static JoinedColumns FromBatches(IReadOnlyList<RecordBatch> batches)
        {
            var rows = batches.Sum(b => b.Length);
            var result = new JoinedColumns(new long[rows], new long?[rows], new double?[rows], new float?[rows]);
            var at = 0;
            foreach (var batch in batches)
            {
                var rowIds = (Int64Array)batch.Column(batch.Schema.GetFieldIndex("row_id"));
                var clicks = (Int64Array)batch.Column(batch.Schema.GetFieldIndex("clicks"));
                var score = (DoubleArray)batch.Column(batch.Schema.GetFieldIndex("score"));
                var ratio = (FloatArray)batch.Column(batch.Schema.GetFieldIndex("ratio"));
                for (var i = 0; i < batch.Length; i++, at++)
                {
                    result.RowId[at] = rowIds.GetValue(i)!.Value;
                    result.Clicks[at] = clicks.GetValue(i);
                    result.Score[at] = score.GetValue(i);
                    result.Ratio[at] = ratio.GetValue(i);
                }
            }

            return result;
        }

        public static JoinedColumns FromDuckDb(DuckDBConnection connection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT row_id, clicks, score, ratio FROM result ORDER BY row_id";
            using var reader = command.ExecuteReader();
            var rowIds = new List<long>();
            var clicks = new List<long?>();
            var score = new List<double?>();
            var ratio = new List<float?>();
            while (reader.Read())
            {
                rowIds.Add(reader.GetInt64(0));
                clicks.Add(reader.IsDBNull(1) ? null : reader.GetInt64(1));
                score.Add(reader.IsDBNull(2) ? null : reader.GetDouble(2));
                ratio.Add(reader.IsDBNull(3) ? null : reader.GetFloat(3));
            }

            return new JoinedColumns([.. rowIds], [.. clicks], [.. score], [.. ratio]);
        }
    }
}
