using Microsoft.Extensions.Options;

namespace Mlops.Tracking;

/// <summary>Checks <see cref="TrackingOptions"/> when the host starts, so a bad URI fails at start, not at the first log.</summary>
public sealed class TrackingOptionsValidator : IValidateOptions<TrackingOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, TrackingOptions options)
    {
        var failures = new List<string>();
        var uri = options.TrackingUri;
        if (string.IsNullOrWhiteSpace(uri))
        {
            failures.Add($"Mlops:Tracking:TrackingUri is required (e.g. sqlite:///mlruns.db or http://127.0.0.1:5000).");
        }
        else if (!(uri.StartsWith("sqlite:///", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
                   || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || uri.EndsWith(".db", StringComparison.OrdinalIgnoreCase)))
        {
            failures.Add($"Mlops:Tracking:TrackingUri '{uri}' is not supported; use sqlite:///path.db or http(s)://host:port.");
        }

        if (options.AsyncQueueCapacity < 1)
        {
            failures.Add($"Mlops:Tracking:AsyncQueueCapacity must be at least 1, not {options.AsyncQueueCapacity}.");
        }

        if (options.BusyTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Mlops:Tracking:BusyTimeout must be positive, not {options.BusyTimeout}.");
        }

        if (options.AsyncFlushInterval <= TimeSpan.Zero)
        {
            failures.Add($"Mlops:Tracking:AsyncFlushInterval must be positive, not {options.AsyncFlushInterval}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
