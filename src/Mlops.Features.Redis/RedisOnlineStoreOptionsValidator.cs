using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mlops.Features.Redis;

/// <summary>
/// Checks <see cref="RedisOnlineStoreOptions"/>: a connection string StackExchange.Redis parses with at least one
/// endpoint, a key prefix that is not null, and positive timeouts. Failures name the option at fault.
/// </summary>
public sealed class RedisOnlineStoreOptionsValidator : IValidateOptions<RedisOnlineStoreOptions>
{
    /// <summary>The longest timeout StackExchange.Redis accepts (its timeouts are whole milliseconds in an int).</summary>
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, RedisOnlineStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("ConnectionString: is required (a StackExchange.Redis configuration string such as 'localhost:6379').");
        }
        else
        {
            try
            {
                if (ConfigurationOptions.Parse(options.ConnectionString).EndPoints.Count == 0)
                {
                    failures.Add($"ConnectionString: '{Redact(options.ConnectionString)}' names no endpoint; start it with host:port, such as 'localhost:6379'.");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or NotSupportedException)
            {
                failures.Add($"ConnectionString: is not a valid StackExchange.Redis configuration string ({e.Message}).");
            }
        }

        if (options.KeyPrefix is null)
        {
            failures.Add("KeyPrefix: must not be null (it may be empty).");
        }

        CheckTimeout(nameof(options.ConnectTimeout), options.ConnectTimeout, failures);
        CheckTimeout(nameof(options.OperationTimeout), options.OperationTimeout, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The connection string without its password, for messages.</summary>
    internal static string Redact(string connectionString) =>
        string.Join(',', connectionString.Split(',').Select(part =>
            part.TrimStart().StartsWith("password=", StringComparison.OrdinalIgnoreCase) ? "password=***" : part));

    private static void CheckTimeout(string option, TimeSpan value, List<string> failures)
    {
        if (value <= TimeSpan.Zero || value > MaxTimeout)
        {
            failures.Add($"{option}: must be positive and at most {MaxTimeout}; it is {value}.");
        }
    }
}
