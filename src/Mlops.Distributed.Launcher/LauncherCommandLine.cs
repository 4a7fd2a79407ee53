using System.Globalization;
using Mlops.Distributed.Launch;

namespace Mlops.Distributed.Launcher;

/// <summary>Parses <c>launch --nproc N [--max-restarts K] [--master-port P] [--master-addr A] [--stop-grace-seconds S] [--timeout SECONDS] -- command [args...]</c>.</summary>
internal static class LauncherCommandLine
{
    public const string Usage = "usage: mlops-launch --nproc N [--max-restarts K] [--master-port P] [--master-addr A] [--stop-grace-seconds S] [--timeout SECONDS] -- <command> [args...]";

    public static LaunchOptions Parse(IReadOnlyList<string> args)
    {
        var separator = args.ToList().IndexOf("--");
        if (separator < 0 || separator == args.Count - 1)
        {
            throw new ArgumentException("missing '-- <command>': the worker command follows a '--'.");
        }

        int processes = 1, restarts = 0, port = 0;
        var address = "127.0.0.1";
        var grace = TimeSpan.FromSeconds(5);
        TimeSpan? timeout = null;
        for (var i = 0; i < separator; i++)
        {
            var name = args[i];
            if (i + 1 >= separator)
            {
                throw new ArgumentException($"option {name} needs a value.");
            }

            var value = args[++i];
            switch (name)
            {
                case "--nproc" or "--nproc-per-node" or "--nproc_per_node":
                    processes = ReadInt(name, value, 1);
                    break;
                case "--max-restarts" or "--max_restarts":
                    restarts = ReadInt(name, value, 0);
                    break;
                case "--master-port" or "--master_port":
                    port = ReadInt(name, value, 1);
                    break;
                case "--master-addr" or "--master_addr":
                    address = value;
                    break;
                case "--stop-grace-seconds" or "--grace-period":
                    grace = TimeSpan.FromSeconds(ReadInt(name, value, 0));
                    break;
                case "--timeout":
                    timeout = TimeSpan.FromSeconds(ReadInt(name, value, 1));
                    break;
                default:
                    throw new ArgumentException($"unknown option {name}.");
            }
        }

        return new LaunchOptions
        {
            FileName = args[separator + 1],
            Arguments = args.Skip(separator + 2).ToArray(),
            ProcessCount = processes,
            MaxRestarts = restarts,
            MasterPort = port,
            MasterAddress = address,
            StopGracePeriod = grace,
            Timeout = timeout,
        };
    }

    private static int ReadInt(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min
            ? parsed
            : throw new ArgumentException($"{name} '{value}' must be an integer of at least {min}.");
}
