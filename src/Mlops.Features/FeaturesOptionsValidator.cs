using Microsoft.Extensions.Options;

namespace Mlops.Features;

/// <summary>Checks <see cref="FeaturesOptions"/>; failures name the configuration key at fault.</summary>
public sealed class FeaturesOptionsValidator : IValidateOptions<FeaturesOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, FeaturesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.DegreeOfParallelism < 1
            ? ValidateOptionsResult.Fail($"DegreeOfParallelism: must be at least 1 (it is {options.DegreeOfParallelism}); leave it out for the processor count.")
            : ValidateOptionsResult.Success;
    }
}
