using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Rendezvous;

namespace Mlops.Distributed.Launch;

/// <summary>
/// Starts N worker processes on this machine with torchrun's variables set (<c>RANK</c>, <c>WORLD_SIZE</c>,
/// <c>LOCAL_RANK</c>, <c>LOCAL_WORLD_SIZE</c>, <c>MASTER_ADDR</c>, <c>MASTER_PORT</c>) and the restart generation,
/// prefixes their output with the rank, and when one fails stops the others and restarts all of them (up to
/// <see cref="LaunchOptions.MaxRestarts"/> times) with a new generation. When it gives up, the result names the root
/// cause, as torchelastic does: each worker gets an error file (<see cref="WorkerErrorFile"/>, in
/// <c>MLOPS_ERROR_FILE</c>); a rank that the others' errors name as faulty (directly or along a chain) and that wrote no
/// error of its own (it stalled, or died without a word) is the cause, else the first failure by time (error file, or exit).
/// </summary>
public sealed partial class LocalLauncher
{
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan OutputDrainWait = TimeSpan.FromSeconds(10);
    private readonly LaunchOptions _options;
    private readonly TextWriter _output;
    private readonly ILogger _logger;
    private readonly object _writeLock = new();

    /// <summary>Creates a launcher.</summary>
    /// <param name="options">What to start.</param>
    /// <param name="output">Where the prefixed worker output goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="logger">Logs attempts and failures.</param>
    public LocalLauncher(LaunchOptions options, TextWriter? output = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FileName);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ProcessCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRestarts);
        _options = options;
        _output = output ?? Console.Out;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Runs the job to completion (or until it gives up).</summary>
    /// <param name="cancellationToken">Stops every worker and returns.</param>
    /// <returns>How it ended.</returns>
    public LaunchResult Run(CancellationToken cancellationToken = default) => RunAsync(cancellationToken).GetAwaiter().GetResult();

    /// <summary>Runs the job to completion (or until it gives up).</summary>
    /// <param name="cancellationToken">Stops every worker and returns.</param>
    /// <returns>How it ended.</returns>
    public async Task<LaunchResult> RunAsync(CancellationToken cancellationToken = default)
    {
        if (_options.Timeout is { } limit)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero, nameof(LaunchOptions.Timeout));
        }

        // One clock for the whole job, started once: restarts do not extend it.
        using var timeout = _options.Timeout is { } span ? new CancellationTokenSource(span) : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        Failure? failure = null;
        var attempt = 0;
        for (; attempt <= _options.MaxRestarts; attempt++)
        {
            if (attempt > 0)
            {
                WriteLine($"[launcher] rank {failure!.Rank} failed with exit code {failure.ExitCode}; restarting all {_options.ProcessCount} workers (restart {attempt} of {_options.MaxRestarts}, generation {attempt})");
                _logger.LogWarning("Rank {Rank} failed with exit code {ExitCode}; restart {Attempt} of {MaxRestarts}", failure.Rank, failure.ExitCode, attempt, _options.MaxRestarts);
            }

            failure = await RunAttemptAsync(attempt, stop.Token).ConfigureAwait(false);
            if (failure is null)
            {
                return new LaunchResult(true, attempt + 1, null, 0, []);
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (timeout.IsCancellationRequested)
            {
                var timedOut = new LaunchResult(false, attempt + 1, null, 0, []) { TimedOut = true, Timeout = _options.Timeout };
                WriteLine("[launcher] " + timedOut.Summary());
                _logger.LogError("The job's timeout of {Timeout} passed in attempt {Attempt}; the workers were stopped", _options.Timeout, attempt + 1);
                return timedOut;
            }
        }

        var result = new LaunchResult(false, attempt, failure!.Rank, failure.ExitCode, failure.ErrorTail) { RootCause = failure.Cause, FailedError = failure.Error };
        WriteLine("[launcher] " + result.Summary());
        return result;
    }

    private async Task<Failure?> RunAttemptAsync(int generation, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new Failure(-1, 0, []);
        }

        // The launcher hosts the rendezvous store, as torchrun's agent does: the port is bound before any worker starts
        // (port 0: the system picks a free one), so no other process can take it between choosing and binding, and
        // each attempt's store knows only its own generation.
        using var store = RendezvousServer.Start(StoreAddress(), _options.MasterPort, generation, _options.ProcessCount, TimeProvider.System, _logger);
        var port = store.EndPoint.Port;
        var workers = new List<Worker>();
        var errorFolder = Directory.CreateTempSubdirectory("mlops-launch-").FullName;
        try
        {
            for (var rank = 0; rank < _options.ProcessCount; rank++)
            {
                workers.Add(Start(rank, generation, port, ErrorFilePath(errorFolder, rank)));
            }

            // Cancellation (a signal to the launcher, or the job's timeout) stops the workers as a failure does:
            // SIGTERM, the grace period, then their process trees are killed. It wakes the wait itself, since workers
            // that ignore SIGTERM never exit on their own.
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var cancel = cancellationToken.Register(() => cancelled.TrySetResult());
            var pending = workers.ToDictionary(w => w.Exited, w => w);
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending.Keys.Append(cancelled.Task)).ConfigureAwait(false);
                if (done == cancelled.Task)
                {
                    await StopOthersAsync(workers).ConfigureAwait(false);
                    await DrainOutputAsync(workers).ConfigureAwait(false);
                    return new Failure(-1, 0, []);
                }

                var worker = pending[done];
                pending.Remove(done);
                if (worker.Process.ExitCode != 0 || cancellationToken.IsCancellationRequested)
                {
                    // Others may be failing at the same moment because of this one; the earliest exit failed the attempt.
                    await AwaitFaultReportsAsync(workers, errorFolder).ConfigureAwait(false);
                    var failedByThemselves = workers.Where(w => w.Process.HasExited && w.Process.ExitCode != 0).OrderBy(w => w.ExitedAt).ToList();
                    var failed = failedByThemselves.FirstOrDefault() ?? worker;
                    await StopOthersAsync(workers).ConfigureAwait(false);
                    await DrainOutputAsync(workers).ConfigureAwait(false);
                    return RootCause(workers, failed, failedByThemselves, errorFolder);
                }
            }

            await DrainOutputAsync(workers).ConfigureAwait(false);
            return null;
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Process.Dispose();
            }

            try
            {
                Directory.Delete(errorFolder, recursive: true);
            }
            catch (IOException)
            {
                // A worker killed while writing may still hold a file; the temp cleaner removes the folder later.
            }
        }
    }

    /// <summary>
    /// While the earliest error blames a rank (along the chain of blames) that is still running and wrote no error,
    /// lets the other running workers fail by themselves, up to <see cref="LaunchOptions.FaultReportWait"/>.
    /// </summary>
    private async Task AwaitFaultReportsAsync(List<Worker> workers, string errorFolder)
    {
        using var window = new CancellationTokenSource(_options.FaultReportWait);
        var expired = Task.Delay(Timeout.Infinite, window.Token);
        while (!window.IsCancellationRequested)
        {
            var errors = workers.ToDictionary(w => w.Rank, w => WorkerErrorFile.Read(ErrorFilePath(errorFolder, w.Rank)));
            var first = errors.Values.OfType<WorkerError>().Where(e => e.FaultyRank is { } f && f != e.Rank && errors.ContainsKey(f)).MinBy(e => e.Timestamp);
            if (first is null)
            {
                return;
            }

            // A suspect that exited without a word (it crashed) ends the chain; so does one that wrote an error.
            var suspect = Blamed(errors, first);
            var others = workers.Where(w => !w.Process.HasExited && w.Rank != suspect).ToList();
            if (errors[suspect] is not null || workers.First(w => w.Rank == suspect).Process.HasExited || others.Count == 0)
            {
                return;
            }

            await Task.WhenAny(others.Select(w => w.Exited).Append(expired)).ConfigureAwait(false);
        }
    }

    private static string ErrorFilePath(string folder, int rank) => Path.Combine(folder, $"rank-{rank.ToString(CultureInfo.InvariantCulture)}.json");

    /// <summary>
    /// Which rank caused the attempt's failure, from the error files: the rank at the end of a chain of ranks naming
    /// each other faulty, when it wrote no error itself (it stalled, or died silently), else the first failure by time (an error file's timestamp, or the exit of a worker that
    /// wrote none), else the first worker that exited with an error.
    /// </summary>
    private static Failure RootCause(List<Worker> workers, Worker firstExited, List<Worker> failedByThemselves, string errorFolder)
    {
        var errors = workers.ToDictionary(w => w.Rank, w => WorkerErrorFile.Read(ErrorFilePath(errorFolder, w.Rank)));
        // Follow who blames whom (rank 0 waited for 2, which waited for 1): a chain that ends at a rank that wrote no
        // error is a rank that stalled or died without a word, the cause; the earliest report decides between chains.
        var silent = errors.Values
            .OfType<WorkerError>()
            .Where(e => e.FaultyRank is { } f && f != e.Rank && errors.ContainsKey(f))
            .OrderBy(e => e.Timestamp)
            .Select(e => (Rank: Blamed(errors, e), Report: e))
            .FirstOrDefault(b => errors[b.Rank] is null);
        Worker cause;
        WorkerError? error;
        if (silent.Report is { } report)
        {
            cause = workers.First(w => w.Rank == silent.Rank);
            error = report;
        }
        else
        {
            var first = failedByThemselves
                .Select(w => (Worker: w, Error: errors[w.Rank], At: errors[w.Rank]?.Timestamp ?? w.ExitedAtUtc))
                .Concat(errors.Values.OfType<WorkerError>().Where(e => failedByThemselves.All(w => w.Rank != e.Rank))
                    .Select(e => (Worker: workers.First(w => w.Rank == e.Rank), Error: (WorkerError?)e, At: e.Timestamp)))
                .OrderBy(c => c.At)
                .FirstOrDefault();
            cause = first.Worker ?? firstExited;
            error = first.Worker is null ? errors[firstExited.Rank] : first.Error;
        }

        var ownFailure = failedByThemselves.Contains(cause);
        var exitCode = ownFailure ? cause.Process.ExitCode : firstExited.Process.ExitCode;
        var tail = cause.ErrorTail() is { Count: > 0 } own ? own : firstExited.ErrorTail();
        string? note = null;
        if (cause != firstExited || !ownFailure)
        {
            note = error is not null && error.Rank != cause.Rank
                ? $"it wrote no error while rank {error.Rank} waited for it ({ShortType(error.ExceptionType)}: {error.Message})"
                : error is not null
                ? $"it recorded the first error ({ShortType(error.ExceptionType)}: {error.Message})"
                : "it failed first";
            note += $"; rank {firstExited.Rank} exited first, with exit code {firstExited.Process.ExitCode}";
        }

        return new Failure(cause.Rank, exitCode, tail) { Error = error, Cause = note };
    }

    private static int Blamed(Dictionary<int, WorkerError?> errors, WorkerError report)
    {
        var seen = new HashSet<int> { report.Rank };
        var rank = report.FaultyRank!.Value;
        while (errors[rank] is { FaultyRank: { } next } && errors.ContainsKey(next) && seen.Add(rank))
        {
            rank = next;
        }

        return rank;
    }

    private static string ShortType(string typeName) => typeName[(typeName.LastIndexOf('.') + 1)..];

    private Worker Start(int rank, int generation, int port, string errorFile)
    {
        var start = new ProcessStartInfo(_options.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _options.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in _options.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The launcher's variables win over inherited ones; TF_CONFIG would describe another cluster.
        start.Environment.Remove(ClusterVariables.TfConfig);
        foreach (var (name, value) in _options.Environment)
        {
            start.Environment[name] = value;
        }

        // As torchrun does: N workers that each start one spinning OpenMP thread per core oversubscribe the host, so
        // unless the user chose, each gets its share of the cores.
        if (_options.ProcessCount > 1 && string.IsNullOrWhiteSpace(start.Environment.TryGetValue("OMP_NUM_THREADS", out var omp) ? omp : null))
        {
            start.Environment["OMP_NUM_THREADS"] = Math.Max(1, Environment.ProcessorCount / _options.ProcessCount).ToString(CultureInfo.InvariantCulture);
        }

        var n = _options.ProcessCount.ToString(CultureInfo.InvariantCulture);
        var r = rank.ToString(CultureInfo.InvariantCulture);
        start.Environment[ClusterVariables.Rank] = r;
        start.Environment[ClusterVariables.WorldSize] = n;
        start.Environment[ClusterVariables.LocalRank] = r;
        start.Environment[ClusterVariables.LocalWorldSize] = n;
        start.Environment[ClusterVariables.MasterAddress] = _options.MasterAddress;
        start.Environment[ClusterVariables.MasterPort] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment[ClusterVariables.UseAgentStore] = "True";
        start.Environment[ClusterVariables.Generation] = generation.ToString(CultureInfo.InvariantCulture);
        start.Environment[ClusterVariables.TorchElasticRestartCount] = generation.ToString(CultureInfo.InvariantCulture);
        start.Environment[WorkerErrorFile.EnvironmentVariable] = errorFile;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker = new Worker(rank, process, _options.ErrorTailLines);
        process.OutputDataReceived += (_, e) => worker.OnLine(e.Data, error: false, WriteLine);
        process.ErrorDataReceived += (_, e) => worker.OnLine(e.Data, error: true, WriteLine);
        process.Exited += (_, _) => worker.MarkExited();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new MlopsException($"The launcher could not start '{_options.FileName}' for rank {rank}: {ex.Message}.", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    private async Task StopOthersAsync(List<Worker> workers)
    {
        foreach (var worker in workers.Where(w => !w.Process.HasExited))
        {
            Terminate(worker.Process);
        }

        var grace = Task.WhenAll(workers.Select(w => w.Exited));
        if (await Task.WhenAny(grace, Task.Delay(_options.StopGracePeriod)).ConfigureAwait(false) != grace)
        {
            StopAll(workers);

            // SIGKILL ends a process at once unless the kernel holds it (uninterruptible I/O); never wait on that forever.
            if (await Task.WhenAny(grace, Task.Delay(KillWait)).ConfigureAwait(false) != grace)
            {
                var stuck = string.Join(", ", workers.Where(w => !w.Process.HasExited).Select(w => w.Rank));
                WriteLine($"[launcher] rank(s) {stuck} did not exit within {KillWait.TotalSeconds:0} s of being killed; going on without them");
                _logger.LogWarning("Rank(s) {Ranks} did not exit within {Seconds} s of being killed", stuck, KillWait.TotalSeconds);
            }
        }
    }

    private async Task DrainOutputAsync(List<Worker> workers)
    {
        // A worker's output ends when the last process holding its pipes exits; a grandchild it left running can hold
        // them open forever, so the launcher reads what arrives for a while and then goes on.
        var done = Task.WhenAll(workers.Select(w => w.OutputDone));
        if (await Task.WhenAny(done, Task.Delay(OutputDrainWait)).ConfigureAwait(false) != done)
        {
            _logger.LogWarning("The output of some workers was still open {Seconds} s after they exited (a child process of theirs holds it)", OutputDrainWait.TotalSeconds);
        }
    }

    private static void StopAll(List<Worker> workers)
    {
        foreach (var worker in workers)
        {
            try
            {
                if (!worker.Process.HasExited)
                {
                    worker.Process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited in between.
            }
        }
    }

    private static void Terminate(Process process)
    {
        // SIGTERM first, as torchrun does, so workers can flush logs; Kill is SIGKILL.
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                _ = SendSignal(process.Id, 15);
                return;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // Fall through to Kill.
            }
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited in between.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    private IPAddress StoreAddress() =>
        IPAddress.TryParse(_options.MasterAddress, out var address) ? address
        : string.Equals(_options.MasterAddress, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.Any;

    private void WriteLine(string line)
    {
        lock (_writeLock)
        {
            _output.WriteLine(line);
            _output.Flush();
        }
    }

    private sealed record Failure(int Rank, int ExitCode, IReadOnlyList<string> ErrorTail)
    {
        public WorkerError? Error { get; init; }

        public string? Cause { get; init; }
    }
}
