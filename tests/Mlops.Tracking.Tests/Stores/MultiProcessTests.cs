using System.Diagnostics;
using System.Globalization;
using Mlops.Tracking.Stores;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Stores;

/// <summary>Several worker processes (Mlops.Tracking.TestWorker) logging to one SQLite file, and one killed with SIGKILL.</summary>
public sealed class MultiProcessTests : IDisposable
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromMinutes(2);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Eight_processes_log_to_one_store_at_once_and_nothing_is_lost()
    {
        const int Workers = 8;
        const int Metrics = 150;
        var database = _folder.Combine("shared.db");
        using (new SqliteTrackingStore(database))
        {
            // Create the file and schema first, so the workers race on data, not on creating tables.
        }

        var processes = Enumerable.Range(0, Workers).Select(i => StartWorker(database, i, Metrics)).ToList();
        var outputs = await Task.WhenAll(processes.Select(async p =>
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync().WaitAsync(ProcessTimeout);
            Assert.True(p.ExitCode == 0, $"worker failed with {p.ExitCode}: {await stderr}");
            return await stdout;
        }));
        foreach (var p in processes)
        {
            p.Dispose();
        }

        using var store = new SqliteTrackingStore(database);
        var experiment = (await store.GetExperimentByNameAsync("mp"))!;
        var runs = await store.SearchRunsAsync([experiment.ExperimentId], orderBy: ["params.worker"]);
        Assert.Equal(Workers, runs.Count);
        foreach (var run in runs)
        {
            Assert.Equal(RunStatus.Finished, run.Info.Status);
            var history = await store.GetMetricHistoryAsync(run.Info.RunId, "loss");
            Assert.Equal(Enumerable.Range(0, Metrics).Select(i => (double)i), history.Select(m => m.Value));
            Assert.Equal(Metrics - 1, run.Data.GetMetric("loss"));
            Assert.Equal(2 * ((Metrics + 49) / 50), (await store.GetMetricHistoryAsync(run.Info.RunId, "batch")).Count);
            Assert.Equal(1 + ((Metrics + 49) / 50), run.Data.Params.Count);
        }

        Assert.All(outputs, o => Assert.Contains($"ack {Metrics - 1}", o, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_process_killed_while_logging_leaves_every_acknowledged_write()
    {
        var database = _folder.Combine("killed.db");
        using var process = StartWorker(database, 0, 0);
        string? runId = null;
        var acknowledged = -1;
        var waited = Stopwatch.StartNew();
        while (acknowledged < 300)
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(ProcessTimeout)
                ?? throw new InvalidOperationException($"worker exited early: {await process.StandardError.ReadToEndAsync()}");
            if (line.StartsWith("run ", StringComparison.Ordinal))
            {
                runId = line[4..];
            }
            else if (line.StartsWith("ack ", StringComparison.Ordinal))
            {
                acknowledged = int.Parse(line[4..], CultureInfo.InvariantCulture);
            }

            Assert.True(waited.Elapsed < ProcessTimeout, "timed out waiting for the worker");
        }

        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();

        using var store = new SqliteTrackingStore(database);
        var run = await store.GetRunAsync(runId!);
        Assert.Equal(RunStatus.Running, run.Info.Status);
        var history = await store.GetMetricHistoryAsync(runId!, "loss");
        Assert.True(history.Count >= acknowledged + 1, $"{history.Count} metrics stored, {acknowledged + 1} acknowledged");
        Assert.Equal(Enumerable.Range(0, history.Count).Select(i => (double)i), history.Select(m => m.Value));

        // The store is fully usable after the crash.
        await store.LogBatchAsync(runId!, [new RunMetric("after", 1, 1, 0)], null, null);
        await store.UpdateRunInfoAsync(runId!, RunStatus.Killed, 2, null);
    }

    private static Process StartWorker(string database, int index, int count)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "Mlops.Tracking.TestWorker.dll");
        Assert.True(File.Exists(worker), $"missing {worker}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { worker, database, "mp", index.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }
}
