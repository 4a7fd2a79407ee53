using System.Diagnostics;
using System.Globalization;
using Mlops.Tracking;
using Mlops.Tracking.Stores;

namespace Mlops.Benchmarks.Tracking;

/// <summary>
/// Logging throughput and search latency of the embedded SQLite tracking store, against the anchors
/// (MLflow's Python server: ~1,200 ms per 500-metric batch, ~1,000 ms per SearchRuns under load; goals here:
/// ≥ 200k metrics/s batched, search over 100k runs &lt; 100 ms).
///   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- tracking [--runs 100000] [--metrics 10] [--repeats 5] [--dir D]
///     [--server http://127.0.0.1:5000]   (also measure over REST against a running Mlops.Tracking.Server or MLflow server)
/// </summary>
public static class TrackingThroughput
{
    public static int Run(IReadOnlyDictionary<string, string> options)
    {
        var runs = Int(options, "runs", 100_000);
        var metricsPerRun = Int(options, "metrics", 10);
        var repeats = Int(options, "repeats", 5);
        var folder = options.TryGetValue("dir", out var dir) ? dir : Path.Combine(Path.GetTempPath(), "mlops-tracking-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            Logging(folder);
            if (options.TryGetValue("server", out var server))
            {
                Rest(server, repeats);
            }

            Search(folder, runs, metricsPerRun, repeats);
            return 0;
        }
        finally
        {
            if (!options.ContainsKey("dir"))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static void Logging(string folder)
    {
        using var tracking = new TrackingClient(Path.Combine(folder, "logging.db"));

        // Single calls: one transaction per metric, as a naive training loop would log.
        using (var run = tracking.StartRun("single"))
        {
            const int Calls = 5_000;
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < Calls; i++)
            {
                run.LogMetric("loss", i, step: i);
            }

            Report("embedded LogMetric, single calls", Calls, watch.Elapsed);
        }

        // Batches of 1000 (MLflow's limit), and of 500 (the anchor's batch size).
        foreach (var size in new[] { 500, 1000 })
        {
            using var run = tracking.StartRun("batched-" + size.ToString(CultureInfo.InvariantCulture));
            const int Total = 200_000;
            var batch = new RunMetric[size];
            var watch = Stopwatch.StartNew();
            var batchTimes = new List<double>();
            for (var done = 0; done < Total; done += size)
            {
                for (var j = 0; j < size; j++)
                {
                    batch[j] = new RunMetric("m" + (j % 10).ToString(CultureInfo.InvariantCulture), j, done + j, (done + j) / 10);
                }

                var start = watch.Elapsed;
                run.LogBatch(batch);
                batchTimes.Add((watch.Elapsed - start).TotalMilliseconds);
            }

            Report($"embedded LogBatch of {size}", Total, watch.Elapsed);
            batchTimes.Sort();
            Console.WriteLine($"    one {size}-metric batch: median {batchTimes[batchTimes.Count / 2]:F2} ms (anchor: MLflow Python server ~1,200 ms for 500; mlflow-go 13 ms)");
        }

        // The background queue: the loop only enqueues; the time includes the final flush.
        using (var run = tracking.StartRun("async"))
        {
            const int Total = 200_000;
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < Total; i++)
            {
                run.Background.LogMetric("m" + (i % 10).ToString(CultureInfo.InvariantCulture), i, step: i / 10);
            }

            var enqueued = watch.Elapsed;
            run.End();
            Report("embedded async queue (incl. flush)", Total, watch.Elapsed);
            Console.WriteLine($"    enqueue only: {Total / enqueued.TotalSeconds:N0} calls/s");
        }
    }

    private static void Search(string folder, int runs, int metricsPerRun, int repeats)
    {
        var path = Path.Combine(folder, "search.db");
        using var store = new SqliteTrackingStore(path);
        var experiment = store.CreateExperimentAsync("search-bench").GetAwaiter().GetResult();
        var random = new Random(1);
        var watch = Stopwatch.StartNew();
        var metrics = new RunMetric[metricsPerRun];
        string[] optimisers = ["adam", "sgd", "rmsprop", "adagrad"];
        for (var i = 0; i < runs; i++)
        {
            var run = store.CreateRunAsync(experiment, "bench", i, null, null).GetAwaiter().GetResult();
            for (var m = 0; m < metricsPerRun; m++)
            {
                metrics[m] = new RunMetric("m" + m.ToString(CultureInfo.InvariantCulture), random.NextDouble(), i, 0);
            }

            store.LogBatchAsync(run.Info.RunId, metrics, [new Param("opt", optimisers[i % 4]), new Param("lr", (0.001 * (1 + (i % 10))).ToString(CultureInfo.InvariantCulture))], null).GetAwaiter().GetResult();
        }

        Console.WriteLine($"populated {runs:N0} runs × {metricsPerRun} metrics + 2 params in {watch.Elapsed.TotalSeconds:F1} s ({runs * (double)metricsPerRun / watch.Elapsed.TotalSeconds:N0} metrics/s, one transaction per run)");

        (string Filter, string[] OrderBy)[] queries =
        [
            ("metrics.m0 > 0.5 AND params.opt = 'adam'", ["metrics.m1 DESC"]),
            ("metrics.m0 > 0.99", ["metrics.m1 DESC", "attributes.start_time ASC"]),
            ("params.opt LIKE 'ad%'", ["params.lr ASC", "metrics.m2 DESC"]),
            ("", ["attributes.start_time DESC"]),
        ];
        foreach (var (filter, orderBy) in queries)
        {
            var times = new List<double>();
            var found = 0;
            for (var r = 0; r < repeats + 1; r++)
            {
                var start = Stopwatch.GetTimestamp();
                var page = store.SearchRunsAsync([experiment], filter, maxResults: 100, orderBy: orderBy).GetAwaiter().GetResult();
                var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                found = page.Count;
                if (r > 0)
                {
                    times.Add(elapsed);
                }
            }

            times.Sort();
            Console.WriteLine($"search over {runs:N0} runs: filter \"{filter}\" order_by [{string.Join(", ", orderBy)}] → {found} results, median {times[times.Count / 2]:F1} ms (min {times[0]:F1}, max {times[^1]:F1}) — goal < 100 ms, anchor ~1,000 ms");
        }
    }

    private static void Rest(string server, int repeats)
    {
        using var tracking = new TrackingClient(server);
        var experimentId = tracking.GetOrCreateExperiment("rest-bench-" + Guid.NewGuid().ToString("N")[..8]);
        using (var run = tracking.StartRun("rest-single", experimentId))
        {
            const int Calls = 1_000;
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < Calls; i++)
            {
                run.LogMetric("loss", i, step: i);
            }

            Report($"REST {server} LogMetric, single calls", Calls, watch.Elapsed);
        }

        foreach (var size in new[] { 500, 1000 })
        {
            using var run = tracking.StartRun("rest-batched-" + size.ToString(CultureInfo.InvariantCulture), experimentId);
            const int Total = 100_000;
            var batch = new RunMetric[size];
            var batchTimes = new List<double>();
            var watch = Stopwatch.StartNew();
            for (var done = 0; done < Total; done += size)
            {
                for (var j = 0; j < size; j++)
                {
                    batch[j] = new RunMetric("m" + (j % 10).ToString(CultureInfo.InvariantCulture), j, done + j, (done + j) / 10);
                }

                var start = watch.Elapsed;
                run.LogBatch(batch);
                batchTimes.Add((watch.Elapsed - start).TotalMilliseconds);
            }

            batchTimes.Sort();
            Report($"REST LogBatch of {size}", Total, watch.Elapsed);
            Console.WriteLine($"    one {size}-metric batch over REST: median {batchTimes[batchTimes.Count / 2]:F2} ms (anchor: MLflow Python server ~1,200 ms for 500; mlflow-go 13 ms)");
        }

        using (var run = tracking.StartRun("rest-async", experimentId))
        {
            const int Total = 100_000;
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < Total; i++)
            {
                run.Background.LogMetric("m" + (i % 10).ToString(CultureInfo.InvariantCulture), i, step: i / 10);
            }

            run.End();
            Report("REST async queue (incl. flush)", Total, watch.Elapsed);
        }

        var times = new List<double>();
        for (var r = 0; r < repeats + 1; r++)
        {
            var start = Stopwatch.GetTimestamp();
            tracking.SearchRuns([experimentId], "metrics.m0 >= 0", orderBy: ["metrics.m1 DESC"], maxResults: 100);
            if (r > 0)
            {
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        times.Sort();
        Console.WriteLine($"REST SearchRuns (small experiment, round trip): median {times[times.Count / 2]:F1} ms");
    }

    private static void Report(string what, int count, TimeSpan elapsed) =>
        Console.WriteLine($"{what}: {count:N0} metrics in {elapsed.TotalMilliseconds:N0} ms → {count / elapsed.TotalSeconds:N0} metrics/s");

    private static int Int(IReadOnlyDictionary<string, string> options, string key, int fallback) =>
        options.TryGetValue(key, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
