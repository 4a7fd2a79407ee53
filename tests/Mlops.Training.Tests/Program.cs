namespace Mlops.Training.Tests;

/// <summary>
/// The test assembly doubles as the worker process of the multi-process tests (`dotnet Mlops.Training.Tests.dll
/// worker &lt;mode&gt; ...`), so the tests and their workers share one copy of libtorch.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length >= 2 && args[0] == "worker")
        {
            return Workers.TestWorkers.Run(args[1], args[2..]);
        }

        Console.Error.WriteLine("usage: dotnet Mlops.Training.Tests.dll worker <mode> [args...] (tests run through `dotnet test`)");
        return 2;
    }
}
