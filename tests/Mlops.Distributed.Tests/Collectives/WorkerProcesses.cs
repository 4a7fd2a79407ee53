using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Mlops.Distributed.Tests.Collectives;

/// <summary>Starts ranks of a job as real processes of the test worker, with torchrun-style variables on loopback.</summary>
internal sealed class WorkerProcesses : IDisposable
{
    private readonly List<(int Rank, Process Process, StringBuilder Output, StringBuilder Error)> _workers = [];

    public static string WorkerPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "Mlops.Distributed.TestWorker.dll");
            Assert.True(File.Exists(path), $"missing {path}");
            return path;
        }
    }

    public WorkerProcesses(string mode, int worldSize, IEnumerable<int> ranks, int timeoutMs, int connectTimeoutMs = 20_000, bool sharedMemory = true)
    {
        var port = RingHarness.FreePort();
        try
        {
            foreach (var rank in ranks)
            {
                Start(mode, worldSize, rank, port, timeoutMs, connectTimeoutMs, sharedMemory);
            }
        }
        catch
        {
            // Workers already started would otherwise outlive the test.
            Dispose();
            throw;
        }
    }

    private void Start(string mode, int worldSize, int rank, int port, int timeoutMs, int connectTimeoutMs, bool sharedMemory)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(WorkerPath);
        start.ArgumentList.Add(mode);
        start.Environment.Remove("TF_CONFIG");
        start.Environment["RANK"] = rank.ToString(CultureInfo.InvariantCulture);
        start.Environment["WORLD_SIZE"] = worldSize.ToString(CultureInfo.InvariantCulture);
        start.Environment["LOCAL_RANK"] = rank.ToString(CultureInfo.InvariantCulture);
        start.Environment["LOCAL_WORLD_SIZE"] = worldSize.ToString(CultureInfo.InvariantCulture);
        start.Environment["MASTER_ADDR"] = "127.0.0.1";
        start.Environment["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["MLOPS_TEST_TIMEOUT_MS"] = timeoutMs.ToString(CultureInfo.InvariantCulture);
        start.Environment["MLOPS_TEST_CONNECT_TIMEOUT_MS"] = connectTimeoutMs.ToString(CultureInfo.InvariantCulture);
        start.Environment["MLOPS_TEST_SHARED_MEMORY"] = sharedMemory ? "1" : "0";
        var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (error) { error.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _workers.Add((rank, process, output, error));
    }

    public Process ProcessOf(int rank) => _workers.Single(w => w.Rank == rank).Process;

    public string OutputOf(int rank) => Text(_workers.Single(w => w.Rank == rank).Output);

    /// <summary>
    /// Waits for every worker to exit and its output to be read, all within <paramref name="timeout"/>; returns rank →
    /// (exit code, stdout, stderr). A worker still running then fails the test (and is killed by Dispose).
    /// </summary>
    public async Task<Dictionary<int, (int ExitCode, string Output, string Error)>> WaitAllAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var results = new Dictionary<int, (int, string, string)>();
        foreach (var (rank, process, output, error) in _workers)
        {
            try
            {
                // Unlike WaitForExit(), this bounds the wait for the end of the redirected output too.
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"rank {rank} did not exit (or close its output) within {timeout.TotalSeconds} s; output: {Text(output)}; errors: {Text(error)}");
            }

            results[rank] = (process.ExitCode, Text(output), Text(error));
        }

        return results;
    }

    private static string Text(StringBuilder text)
    {
        lock (text)
        {
            return text.ToString();
        }
    }

    public void Dispose()
    {
        foreach (var (_, process, _, _) in _workers)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            process.Dispose();
        }
    }
}
