using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Mlops.Distributed.Collectives;

namespace Mlops.Training.Distributed;

/// <summary>
/// Checks <see cref="MultiWorkerMirroredStrategyOptions"/> as a whole: the enums, the device against the backend, and
/// the nested <see cref="MultiWorkerMirroredStrategyOptions.Collectives"/> (their attributes, which
/// <c>ValidateDataAnnotations</c> does not descend into, and <see cref="CollectiveOptionsValidator"/>). Runs when the host
/// starts, and in <see cref="MultiWorkerMirroredStrategy.Create"/> for options built in code. Failures name the property
/// path at fault (<c>Collectives.PieceBytes</c>), the key under <c>Mlops:Training</c> with dots for colons.
/// </summary>
public sealed class MultiWorkerMirroredStrategyOptionsValidator : IValidateOptions<MultiWorkerMirroredStrategyOptions>
{
    private const string Collectives = nameof(MultiWorkerMirroredStrategyOptions.Collectives);

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, MultiWorkerMirroredStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!Enum.IsDefined(options.Device))
        {
            errors.Add($"{nameof(options.Device)} '{options.Device}' is not one of Auto, Cpu, Cuda.");
        }

        if (options.Collectives is null)
        {
            errors.Add($"{Collectives}: is required.");
            return ValidateOptionsResult.Fail(errors);
        }

        var backend = options.Collectives.Backend;
        if (backend == CollectiveBackend.Nccl && options.Device == TrainingDevice.Cpu)
        {
            errors.Add($"{Collectives}.{nameof(CollectiveOptions.Backend)} Nccl reduces CUDA tensors but {nameof(options.Device)} is Cpu; use Device Cuda (or Auto), or Backend Ring.");
        }

        if (backend == CollectiveBackend.Ring && options.Device == TrainingDevice.Cuda)
        {
            errors.Add($"{Collectives}.{nameof(CollectiveOptions.Backend)} Ring reduces host memory but {nameof(options.Device)} is Cuda; use Backend Nccl (or Auto), or Device Cpu.");
        }

        var annotations = new List<ValidationResult>();
        Validator.TryValidateObject(options.Collectives, new ValidationContext(options.Collectives), annotations, validateAllProperties: true);
        errors.AddRange(annotations.Select(r => $"{Collectives}.{string.Join(", ", r.MemberNames)}: {r.ErrorMessage}"));
        var nested = new CollectiveOptionsValidator().Validate(name, options.Collectives);
        if (nested.Failed)
        {
            errors.AddRange((nested.Failures ?? [nested.FailureMessage]).Select(f => $"{Collectives}.{f}"));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
