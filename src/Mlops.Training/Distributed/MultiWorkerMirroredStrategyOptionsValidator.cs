using Microsoft.Extensions.Options;

namespace Mlops.Training.Distributed;

/// <summary>Checks <see cref="MultiWorkerMirroredStrategyOptions"/> when the host starts.</summary>
internal sealed class MultiWorkerMirroredStrategyOptionsValidator : IValidateOptions<MultiWorkerMirroredStrategyOptions>
{
    public ValidateOptionsResult Validate(string? name, MultiWorkerMirroredStrategyOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors.Select(e => $"{MultiWorkerMirroredStrategyOptions.SectionName}: {e}"));
    }
}
