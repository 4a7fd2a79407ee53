using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Mlops.Pipelines;

/// <summary>
/// Names an executor as <c>host:pid:process-start:instance</c> and tells whether a recorded owner still runs, so that
/// a restarted process takes over the runs of a crashed one but never those of a live one.
/// </summary>
internal static class ExecutorIdentity
{
    private static readonly ConcurrentDictionary<string, byte> LiveInstances = new(StringComparer.Ordinal);
    private static readonly string ProcessPrefix = CreatePrefix();

    public static string Register()
    {
        var id = $"{ProcessPrefix}:{Guid.NewGuid():N}";
        LiveInstances[id] = 0;
        return id;
    }

    public static void Unregister(string id) => LiveInstances.TryRemove(id, out _);

    public static bool IsAlive(string owner)
    {
        var parts = owner.Split(':');
        if (parts.Length != 4 || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var pid) || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var started))
        {
            return true; // Not ours to judge: never take a run from an owner we cannot identify.
        }

        if (!string.Equals(parts[0], Environment.MachineName.Replace(':', '_'), StringComparison.OrdinalIgnoreCase))
        {
            return true; // Another machine; its processes cannot be seen from here.
        }

        if (owner.StartsWith(ProcessPrefix + ":", StringComparison.Ordinal))
        {
            return LiveInstances.ContainsKey(owner);
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && process.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond == started;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return false;
        }
    }

    private static string CreatePrefix()
    {
        using var self = Process.GetCurrentProcess();
        var started = self.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond;
        return string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName.Replace(':', '_')}:{Environment.ProcessId}:{started}");
    }
}
