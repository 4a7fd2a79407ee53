namespace Mlops.Training.Tests.Workers;

/// <summary>The worker modes the multi-process tests start; each returns the process exit code.</summary>
internal static class TestWorkers
{
    private static readonly Dictionary<string, Func<string[], int>> Modes = new(StringComparer.Ordinal)
    {
        ["torch-version"] = _ =>
        {
            Mlops.Training.Runtime.TorchRuntime.EnsureInitialized();
            Console.WriteLine(TorchSharp.torch.__version__);
            return 0;
        },
        ["strategy-broadcast"] = StrategyWorkers.Broadcast,
        ["strategy-allreduce"] = StrategyWorkers.AllReduce,
        ["strategy-agree"] = StrategyWorkers.Agree,
        ["strategy-die"] = StrategyWorkers.Die,
        ["strategy-fit"] = StrategyWorkers.Fit,
        ["strategy-fit-bad"] = StrategyWorkers.FitBadInput,
        ["strategy-fit-resume"] = StrategyWorkers.FitResume,
        ["tracking-fit"] = TrackingWorkers.Fit,
    };

    public static int Run(string mode, string[] args)
    {
        if (!Modes.TryGetValue(mode, out var run))
        {
            Console.Error.WriteLine($"unknown worker mode '{mode}'; known: {string.Join(", ", Modes.Keys)}");
            return 2;
        }

        return run(args);
    }
}
