using System.Runtime.InteropServices;

namespace Mlops.Distributed.Nccl;

/// <summary>
/// Finds and loads NCCL and the CUDA runtime: an explicit path (option or environment variable) first, then the
/// loader's search path (<c>LD_LIBRARY_PATH</c>, ldconfig), then the usual install places, including the
/// <c>nvidia-*</c> pip wheels of a PyTorch installation. Reports every place it looked when nothing loads.
/// </summary>
internal static class NativeLibraryLocator
{
    public static string[] NcclCandidates(string? explicitPath) =>
        Candidates(explicitPath, "NCCL_LIB", ["libnccl.so.2", "libnccl.so"], ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/cuda/lib64", "/usr/local/nccl/lib", "/opt/nccl/lib"], ["nvidia/nccl/lib"]);

    public static string[] CudaRuntimeCandidates(string? explicitPath) =>
        Candidates(
            explicitPath,
            "CUDART_LIB",
            ["libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so"],
            ["/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64"],
            ["nvidia/cu13/lib", "nvidia/cuda_runtime/lib"]);

    /// <summary>Loads the first candidate that loads; null (with the places tried and why) when none does.</summary>
    public static nint TryLoad(string[] candidates, out string tried, out string loaded)
    {
        var attempts = new List<string>();
        tried = string.Empty;
        loaded = string.Empty;
        foreach (var candidate in candidates)
        {
            try
            {
                var handle = NativeLibrary.Load(candidate);
                loaded = candidate;
                return handle;
            }
            catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
            {
                attempts.Add(candidate);
            }
        }

        tried = string.Join(", ", attempts);
        return 0;
    }

    private static string[] Candidates(string? explicitPath, string variable, string[] names, string[] folders, string[] wheelFolders)
    {
        // An explicit path is a promise: only it is tried, so a wrong one is reported rather than silently bypassed.
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return [explicitPath];
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return [fromEnvironment];
        }

        var result = new List<string>(names);
        foreach (var folder in folders)
        {
            result.AddRange(names.Select(n => Path.Combine(folder, n)));
        }

        foreach (var sitePackages in SitePackages())
        {
            foreach (var wheel in wheelFolders)
            {
                result.AddRange(names.Select(n => Path.Combine(sitePackages, wheel, n)));
            }
        }

        return result.Where(c => !c.Contains('/', StringComparison.Ordinal) || File.Exists(c)).Distinct().ToArray();
    }

    private static IEnumerable<string> SitePackages()
    {
        var roots = new List<string> { "/opt/torch/.venv/lib", "/usr/local/lib", "/usr/lib" };
        var venv = Environment.GetEnvironmentVariable("VIRTUAL_ENV");
        if (!string.IsNullOrEmpty(venv))
        {
            roots.Insert(0, Path.Combine(venv, "lib"));
        }

        var home = Environment.GetEnvironmentVariable("HOME");
        if (!string.IsNullOrEmpty(home))
        {
            roots.Add(Path.Combine(home, ".local", "lib"));
        }

        foreach (var root in roots.Where(Directory.Exists))
        {
            string[] pythons;
            try
            {
                pythons = Directory.GetDirectories(root, "python3*");
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var python in pythons)
            {
                yield return Path.Combine(python, "site-packages");
                yield return Path.Combine(python, "dist-packages");
            }
        }
    }
}
