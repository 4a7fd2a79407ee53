using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Mlops.Training.Distributed.Tests.Collectives;

/// <summary>Starts ranks of a job as real processes of the test worker, with torchrun-style variables on loopback.</summary>
internal sealed class WorkerProcesses : IDisposable
{
    private readonly List<(int Rank, Process Process, StringBuilder Output, StringBuilder Error)> _workers = [];

    public static string WorkerPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "Mlops.Training.Distributed.TestWorker.dll");
            Assert.True(File.Exists(path), $"missing {path}");
            return path;
        }
    }

    public WorkerProcesses(string mode, int worldSize, IEnumerable<int> ranks, int timeoutMs, int connectTimeoutMs = 20_000)
    {
        var port = RingHarness.FreePort();
        foreach (var rank in ranks)
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
    }

    public Process ProcessOf(int rank) => _workers.Single(w => w.Rank == rank).Process;

    public string OutputOf(int rank)
    {
        var output = _workers.Single(w => w.Rank == rank).Output;
        lock (output)
        {
            return output.ToString();
        }
    }

    /// <summary>Waits for every worker; returns rank → (exit code, stdout, stderr).</summary>
    public Dictionary<int, (int ExitCode, string Output, string Error)> WaitAll(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var results = new Dictionary<int, (int, string, string)>();
        foreach (var (rank, process, output, error) in _workers)
        {
            var left = timeout - deadline.Elapsed;
            Assert.True(process.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero), $"rank {rank} did not exit within {timeout.TotalSeconds} s; output: {output}; errors: {error}");
            process.WaitForExit();
            results[rank] = (process.ExitCode, output.ToString(), error.ToString());
        }

        return results;
    }

    public void Dispose()
    {
        foreach (var (_, process, _, _) in _workers)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }
    }
}
