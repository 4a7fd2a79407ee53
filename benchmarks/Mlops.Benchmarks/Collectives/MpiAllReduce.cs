using System.Diagnostics;
using System.Globalization;

namespace Mlops.Benchmarks.Collectives;

/// <summary>
/// The optional yardstick of the collectives benchmark: <c>mpi_allreduce.c</c> compiled with the installed
/// <c>mpicc</c> and run under <c>mpiexec</c> at each rank count, timed the same way as the ring.
/// </summary>
internal static class MpiAllReduce
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Seconds per call by (ranks, bytes); empty when MPI is not installed, fails (both said on the console) or
    /// <paramref name="mode"/> is "off"; null after printing why when it was required ("on") and is missing or failed.
    /// </summary>
    public static Dictionary<(int Ranks, long Bytes), double>? Measure(string mode, int[] ranks, long maxBytes, int repeats)
    {
        var results = new Dictionary<(int, long), double>();
        if (mode == "off")
        {
            return results;
        }

        var mpicc = FindOnPath("mpicc");
        var mpiexec = FindOnPath("mpiexec");
        if (mpicc is null || mpiexec is null)
        {
            if (mode == "on")
            {
                Console.Error.WriteLine("--mpi on: mpicc and mpiexec must be on the PATH (Debian: apt-get install mpich).");
                return null;
            }

            Console.WriteLine("MPI_Allreduce side by side: skipped, no mpicc/mpiexec on the PATH (Debian: apt-get install mpich).");
            return results;
        }

        var source = Path.Combine(AppContext.BaseDirectory, "Collectives", "mpi_allreduce.c");
        var directory = Directory.CreateTempSubdirectory("mlops-mpi-");
        try
        {
            var program = Path.Combine(directory.FullName, "mpi_allreduce");
            var (compiled, compileOutput) = Run(mpicc, ["-O2", "-o", program, source]);
            if (!compiled)
            {
                return Failed(mode, $"mpicc failed on {source}:\n{compileOutput}");
            }

            var version = Run(mpiexec, ["--version"]).Output;
            var openMpi = version.Contains("Open MPI", StringComparison.OrdinalIgnoreCase) || version.Contains("OpenRTE", StringComparison.OrdinalIgnoreCase);
            Console.WriteLine($"MPI_Allreduce side by side: {version.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("Version", StringComparison.OrdinalIgnoreCase)) ?? version.Split('\n')[0].Trim()}");
            foreach (var n in ranks)
            {
                if (n > Environment.ProcessorCount)
                {
                    // MPICH's ranks poll without yielding: with more ranks than cores a run crawls for many minutes.
                    Console.WriteLine($"MPI_Allreduce at {n} ranks: not run, more ranks than the {Environment.ProcessorCount} cores (MPI ranks busy-poll).");
                    continue;
                }

                // Open MPI refuses root and more ranks than cores unless told; MPICH needs neither flag.
                string[] extra = openMpi ? ["--allow-run-as-root", "--oversubscribe"] : [];
                var (ok, output) = Run(mpiexec, [.. extra, "-n", n.ToString(CultureInfo.InvariantCulture), program, maxBytes.ToString(CultureInfo.InvariantCulture), repeats.ToString(CultureInfo.InvariantCulture)]);
                if (!ok)
                {
                    return Failed(mode, $"mpiexec -n {n} failed:\n{output}");
                }

                foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var fields = line.Split(' ');
                    if (fields.Length == 2
                        && long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes)
                        && double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                    {
                        results[(n, bytes)] = seconds;
                    }
                }
            }

            return results;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static Dictionary<(int, long), double>? Failed(string mode, string why)
    {
        Console.Error.WriteLine($"MPI_Allreduce side by side: {why}");
        return mode == "on" ? null : [];
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    private static (bool Ok, string Output) Run(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(RunLimit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
            return (false, $"{Path.GetFileName(file)} timed out after {RunLimit.TotalMinutes:0} minutes");
        }

        var output = stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult();
        return (process.ExitCode == 0, output);
    }
}
