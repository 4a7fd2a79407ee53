using Microsoft.Extensions.Options;

namespace Mlops.Features.FeatureStore.Online;

/// <summary>Checks <see cref="SqliteOnlineStoreOptions"/> when the host starts.</summary>
public sealed class SqliteOnlineStoreOptionsValidator : IValidateOptions<SqliteOnlineStoreOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, SqliteOnlineStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add("Mlops:FeatureStore:Sqlite:Path is required (the online store's database file, e.g. data/online_store.db).");
        }

        if (options.BusyTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Mlops:FeatureStore:Sqlite:BusyTimeout must be positive, not {options.BusyTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
