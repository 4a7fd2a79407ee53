using Microsoft.Extensions.Options;

namespace Mlops.Distributed;

/// <summary>Checks <see cref="DistributedTrainingOptions"/> beyond its attributes when the host starts.</summary>
internal sealed class DistributedTrainingOptionsValidator : IValidateOptions<DistributedTrainingOptions>
{
    public ValidateOptionsResult Validate(string? name, DistributedTrainingOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => $"{DistributedTrainingOptions.SectionName}: {e}"));
    }
}
