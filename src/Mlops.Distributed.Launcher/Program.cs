using System.Runtime.InteropServices;
using Mlops.Distributed.Launch;
using Mlops.Distributed.Launcher;

// mlops-launch --nproc N [--max-restarts K] -- <command...>: N local workers with the cluster variables set.
LaunchOptions options;
try
{
    options = LauncherCommandLine.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"mlops-launch: {ex.Message}");
    Console.Error.WriteLine(LauncherCommandLine.Usage);
    return 2;
}

// SIGTERM (timeout, systemd, Kubernetes, Slurm), SIGHUP and SIGINT stop the workers instead of ending the launcher and
// orphaning them: the default termination is cancelled, the workers get SIGTERM, the grace period, then their process
// trees are killed, and the launcher exits 128 + the signal's number.
using var stop = new CancellationTokenSource();
var received = 0;
var signalName = string.Empty;
void OnSignal(PosixSignalContext context, int number, string name)
{
    context.Cancel = true;
    if (Interlocked.CompareExchange(ref received, number, 0) == 0)
    {
        signalName = name;
        stop.Cancel();
    }
}

using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => OnSignal(c, 15, "SIGTERM"));
using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => OnSignal(c, 1, "SIGHUP"));
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => OnSignal(c, 2, "SIGINT"));

try
{
    var result = await new LocalLauncher(options).RunAsync(stop.Token);
    return result.ExitCode;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine($"mlops-launch: received {signalName}; workers stopped.");
    return 128 + Volatile.Read(ref received);
}
catch (Mlops.MlopsException ex)
{
    // The store's port is taken, or the command cannot be started: say so without a stack trace.
    Console.Error.WriteLine($"mlops-launch: {ex.Message}");
    return 1;
}
