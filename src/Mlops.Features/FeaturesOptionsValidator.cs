using Microsoft.Extensions.Options;

namespace Mlops.Features;

/// <summary>Checks <see cref="FeaturesOptions"/>; failures name the configuration key at fault.</summary>
public sealed class FeaturesOptionsValidator : IValidateOptions<FeaturesOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, FeaturesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DegreeOfParallelism < 1)
        {
            return ValidateOptionsResult.Fail($"DegreeOfParallelism: must be at least 1 (it is {options.DegreeOfParallelism}); leave it out for the processor count.");
        }

        return options.MaxColumns < 1
            ? ValidateOptionsResult.Fail($"MaxColumns: must be at least 1 (it is {options.MaxColumns}); leave it out for {FeaturesOptions.DefaultMaxColumns:N0}.")
            : ValidateOptionsResult.Success;
    }
}
