using Microsoft.Extensions.Options;

namespace Mlops.Features.FeatureStore;

/// <summary>Checks <see cref="FeatureStoreOptions"/>; failures name the configuration key at fault.</summary>
public sealed class FeatureStoreOptionsValidator : IValidateOptions<FeatureStoreOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, FeatureStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Project) || !options.Project.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            failures.Add($"Project: '{options.Project}' must be letters, digits and underscores.");
        }

        if (string.IsNullOrWhiteSpace(options.Registry))
        {
            failures.Add("Registry: a SQLite file path or a .json location is required.");
        }

        if (options.RegistryRefreshInterval < TimeSpan.Zero)
        {
            failures.Add($"RegistryRefreshInterval: must not be negative (it is {options.RegistryRefreshInterval}).");
        }

        if (options.MemoryBudgetBytes < 1024)
        {
            failures.Add($"MemoryBudgetBytes: must be at least 1024 (it is {options.MemoryBudgetBytes}).");
        }

        if (options.OnlineWriteBatchSize < 1)
        {
            failures.Add($"OnlineWriteBatchSize: must be at least 1 (it is {options.OnlineWriteBatchSize}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
