using System.Diagnostics;
using Mlops.Pipelines.Tests.Support;

namespace Mlops.Pipelines.Tests.Execution;

/// <summary>
/// A DAG run in a child process (Mlops.Pipelines.TestWorker) killed with SIGKILL in the middle, then resumed by a new
/// process: the side-effect file shows that no task whose success was persisted ran twice, and the run finishes.
/// </summary>
public class CrashResumeTests
{
    private const int Fan = 6;
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Killed_mid_run_resumes_without_rerunning_succeeded_tasks()
    {
        using var folder = new TemporaryFolder();
        var (database, effects, gate) = (folder.File("pipelines.db"), folder.File("effects.txt"), folder.File("gate"));

        using (var first = StartWorker(database, effects, gate, resume: false))
        {
            // Wait (bounded) until the gate task is running: everything before it has succeeded and been persisted.
            await WaitUntil(() => GateRunning(database), first);
            first.Kill(entireProcessTree: true); // SIGKILL on Unix.
            await first.WaitForExitAsync().WaitAsync(ProcessTimeout);
        }

        var persistedSuccesses = Successes(database);
        Assert.Contains("start", persistedSuccesses);
        Assert.DoesNotContain("end", persistedSuccesses);
        var beforeCrash = ReadEffects(effects);

        File.WriteAllText(gate, "open");
        using (var second = StartWorker(database, effects, gate, resume: true))
        {
            await second.WaitForExitAsync().WaitAsync(ProcessTimeout);
            Assert.True(second.ExitCode == 0, $"resumed worker exited {second.ExitCode}: {await second.StandardError.ReadToEndAsync()}");
        }

        var runs = ReadEffects(effects);
        foreach (var task in persistedSuccesses)
        {
            Assert.Equal(1, runs.Count(r => r.Task == task));
        }

        var all = new[] { "start", "gate", "end" }.Concat(Enumerable.Range(0, Fan).SelectMany(i => new[] { $"before_{i}", $"after_{i}" }));
        foreach (var task in all)
        {
            Assert.Contains(runs, r => r.Task == task);
        }

        // The gate was running when the process died: that try counts as failed and try 2 completes it.
        Assert.Equal([2], runs.Where(r => r.Task == "gate").Select(r => r.Try));
        Assert.DoesNotContain(beforeCrash, r => r.Task == "gate");
        using var store = new SqlitePipelineStore(database);
        var run = store.GetDagRuns(new DagRunQuery { DagId = "crash_resume" }).Single();
        Assert.Equal(DagRunState.Success, run.State);
        var gateAttempts = store.GetTaskAttempts("crash_resume", run.RunId, "gate");
        Assert.Equal([TaskInstanceState.Failed, TaskInstanceState.Success], gateAttempts.Select(a => a.State));
        Assert.Contains("zombie", gateAttempts[0].Error);
    }

    [Fact]
    public async Task Killed_at_an_arbitrary_moment_never_reruns_a_persisted_success()
    {
        using var folder = new TemporaryFolder();
        var (database, effects, gate) = (folder.File("pipelines.db"), folder.File("effects.txt"), folder.File("gate"));
        File.WriteAllText(gate, "open"); // No gate: the kill lands wherever the run happens to be.

        using (var first = StartWorker(database, effects, gate, resume: false))
        {
            await WaitUntil(() => File.Exists(effects) && ReadEffects(effects).Count >= 3, first);
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync().WaitAsync(ProcessTimeout);
        }

        var persisted = Successes(database);
        using (var second = StartWorker(database, effects, gate, resume: true))
        {
            await second.WaitForExitAsync().WaitAsync(ProcessTimeout);

            // The first process may have finished before the kill landed; then there is nothing to resume (exit 3).
            Assert.True(second.ExitCode == 0 || (second.ExitCode == 3 && persisted.Contains("end")), $"exit {second.ExitCode}");
        }

        var runs = ReadEffects(effects);
        Assert.All(persisted, task => Assert.True(1 == runs.Count(r => r.Task == task), $"{task} ran {runs.Count(r => r.Task == task)} times; persisted before the kill: {string.Join(",", persisted)}; effects: {File.ReadAllText(effects).Replace('\n', ';')}"));
        Assert.Equal(3 + (2 * Fan), runs.Select(r => r.Task).Distinct().Count());
    }

    private static Process StartWorker(string database, string effects, string gate, bool resume)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "Mlops.Pipelines.TestWorker.dll");
        Assert.True(File.Exists(worker), $"missing {worker}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { worker, database, effects, gate, Fan.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        if (resume)
        {
            start.ArgumentList.Add("--resume");
        }

        return Process.Start(start)!;
    }

    private static async Task WaitUntil(Func<bool> condition, Process process)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.False(process.HasExited && !condition(), $"worker exited early with {(process.HasExited ? process.ExitCode : 0)}: {(process.HasExited ? await process.StandardError.ReadToEndAsync() : string.Empty)}");
            Assert.True(waited.Elapsed < ProcessTimeout, "timed out waiting for the worker");
            await Task.Delay(5);
        }
    }

    private static bool GateRunning(string database)
    {
        if (!File.Exists(database))
        {
            return false;
        }

        try
        {
            using var store = new SqlitePipelineStore(database);
            var run = store.GetDagRuns(new DagRunQuery { DagId = "crash_resume" }).SingleOrDefault();
            return run is not null && store.GetTaskInstances("crash_resume", run.RunId).Any(t => t.TaskId == "gate" && t.State == TaskInstanceState.Running);
        }
        catch (PipelineException)
        {
            return false; // The worker is still creating the schema.
        }
    }

    private static HashSet<string> Successes(string database)
    {
        using var store = new SqlitePipelineStore(database);
        var run = store.GetDagRuns(new DagRunQuery { DagId = "crash_resume" }).Single();
        return store.GetTaskInstances("crash_resume", run.RunId).Where(t => t.State == TaskInstanceState.Success).Select(t => t.TaskId).ToHashSet();
    }

    private static List<(string Task, int Try)> ReadEffects(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => l.Split(' ')).Select(p => (p[0], int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture))).ToList();
}
