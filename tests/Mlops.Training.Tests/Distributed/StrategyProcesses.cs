using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mlops.Training.Tests.Workers;

namespace Mlops.Training.Tests.Distributed;

/// <summary>
/// The ranks of one job as real processes of this test assembly (<c>dotnet Mlops.Training.Tests.dll worker mode ...</c>)
/// with torchrun's variables on 127.0.0.1 and a free port. Every wait has a deadline; Dispose kills what is left.
/// </summary>
internal sealed class StrategyProcesses : IDisposable
{
    private readonly List<(int Rank, Process Process, StringBuilder Output, StringBuilder Error)> _workers = [];

    public StrategyProcesses(int worldSize, string mode, IReadOnlyList<string> arguments, TimeSpan? collectiveTimeout = null)
    {
        var port = FreePort();
        try
        {
            for (var rank = 0; rank < worldSize; rank++)
            {
                var start = WorkerStart(mode, arguments);
                start.Environment["RANK"] = rank.ToString(CultureInfo.InvariantCulture);
                start.Environment["WORLD_SIZE"] = worldSize.ToString(CultureInfo.InvariantCulture);
                start.Environment["LOCAL_RANK"] = rank.ToString(CultureInfo.InvariantCulture);
                start.Environment["LOCAL_WORLD_SIZE"] = worldSize.ToString(CultureInfo.InvariantCulture);
                start.Environment["MASTER_ADDR"] = "127.0.0.1";
                start.Environment["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
                start.Environment[StrategyWorkers.TimeoutVariable] = ((int)(collectiveTimeout ?? TimeSpan.FromSeconds(20)).TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
                var process = new Process { StartInfo = start };
                var output = new StringBuilder();
                var error = new StringBuilder();
                process.OutputDataReceived += (_, e) => Append(output, e.Data);
                process.ErrorDataReceived += (_, e) => Append(error, e.Data);
                process.Start();
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                _workers.Add((rank, process, output, error));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static string WorkerAssembly => Path.Combine(AppContext.BaseDirectory, "Mlops.Training.Tests.dll");

    /// <summary>How to start a worker of this assembly, with no cluster variables inherited from the test run.</summary>
    public static ProcessStartInfo WorkerStart(string mode, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(WorkerAssembly);
        start.ArgumentList.Add("worker");
        start.ArgumentList.Add(mode);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var variable in new[] { "TF_CONFIG", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "MLOPS_RENDEZVOUS_GENERATION", "TORCHELASTIC_RESTART_COUNT" })
        {
            start.Environment.Remove(variable);
        }

        return start;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits for every rank; returns rank → (exit code, standard output, standard error).</summary>
    public IReadOnlyDictionary<int, (int ExitCode, string Output, string Error)> WaitAll(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var results = new Dictionary<int, (int, string, string)>();
        foreach (var (rank, process, output, error) in _workers)
        {
            var left = timeout - clock.Elapsed;
            if (!process.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                Assert.Fail($"rank {rank} did not exit within {timeout.TotalSeconds} s; output: {Text(output)}; errors: {Text(error)}");
            }

            process.WaitForExit();
            results[rank] = (process.ExitCode, Text(output), Text(error));
        }

        return results;
    }

    public void Dispose()
    {
        foreach (var (_, process, _, _) in _workers)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // Never started.
            }

            process.Dispose();
        }
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is not null)
        {
            lock (builder)
            {
                builder.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }
}
