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

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    var result = await new LocalLauncher(options).RunAsync(stop.Token);
    return result.ExitCode;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("mlops-launch: interrupted; workers stopped.");
    return 130;
}
catch (Mlops.MlopsException ex)
{
    // The store's port is taken, or the command cannot be started: say so without a stack trace.
    Console.Error.WriteLine($"mlops-launch: {ex.Message}");
    return 1;
}
