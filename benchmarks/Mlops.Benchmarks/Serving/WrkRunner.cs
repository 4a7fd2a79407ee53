using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Mlops.Benchmarks.Serving;

/// <summary>Runs <c>wrk</c> (the Debian package) against a loopback URL with a POST body, and parses its summary.</summary>
internal static partial class WrkRunner
{
    public sealed record Result(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Errors);

    public static bool IsInstalled() => File.Exists("/usr/bin/wrk") || (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(':', StringSplitOptions.RemoveEmptyEntries).Any(p => File.Exists(Path.Combine(p, "wrk")));

    /// <summary>Runs wrk for a bounded duration (its own -d, plus a kill deadline) and returns the summary.</summary>
    public static Result Run(string url, byte[] body, IReadOnlyDictionary<string, string> headers, int threads, int connections, TimeSpan duration)
    {
        if (!url.StartsWith("http://127.0.0.1:", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Load runs only against loopback: {url}", nameof(url));
        }

        var script = Path.Combine(Path.GetTempPath(), $"mlops-wrk-{Guid.NewGuid():N}.lua");
        File.WriteAllText(script, Script(body, headers));
        try
        {
            var start = new ProcessStartInfo("wrk")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{(int)duration.TotalSeconds}s", "--latency", "-s", script, url })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(duration + TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"wrk did not finish within {duration.TotalSeconds + 30:0} s.");
            }

            var text = stdout.GetAwaiter().GetResult();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"wrk exited {process.ExitCode}: {stderr.GetAwaiter().GetResult()}{text}");
            }

            return Parse(text);
        }
        finally
        {
            File.Delete(script);
        }
    }

    internal static Result Parse(string text)
    {
        var rps = double.Parse(RequestsPerSec().Match(text).Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(RequestsLine().Match(text).Groups[1].Value, CultureInfo.InvariantCulture);
        var errors = 0L;
        var non2xx = Non2xx().Match(text);
        if (non2xx.Success)
        {
            errors += long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        var socket = SocketErrors().Match(text);
        if (socket.Success)
        {
            errors += Enumerable.Range(1, 4).Sum(i => long.Parse(socket.Groups[i].Value, CultureInfo.InvariantCulture));
        }

        return new Result(rps, Percentile(text, "50%"), Percentile(text, "99%"), requests, errors);
    }

    private static double Percentile(string text, string label)
    {
        var match = Regex.Match(text, @"^\s*" + Regex.Escape(label) + @"\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success)
        {
            return double.NaN;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    // The body as a Lua string of decimal escapes, so binary bodies survive.
    private static string Script(byte[] body, IReadOnlyDictionary<string, string> headers)
    {
        var lua = new StringBuilder("wrk.method = \"POST\"\nwrk.body = \"");
        foreach (var b in body)
        {
            lua.Append('\\').Append(b.ToString(CultureInfo.InvariantCulture));
        }

        lua.Append("\"\n");
        foreach (var (name, value) in headers)
        {
            lua.Append("wrk.headers[\"").Append(name).Append("\"] = \"").Append(value).Append("\"\n");
        }

        return lua.ToString();
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSec();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
