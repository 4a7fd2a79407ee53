using Microsoft.Extensions.Options;

namespace Mlops.Pipelines;

/// <summary>Validates <see cref="PipelineOptions"/> when the host starts, naming the field at fault.</summary>
public sealed class PipelineOptionsValidator : IValidateOptions<PipelineOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, PipelineOptions options)
    {
        var failures = new List<string>();
        Check(() => options.Executor.Validate(), "Executor");
        Check(() => options.Scheduler.Validate(), "Scheduler");
        if (string.IsNullOrWhiteSpace(options.Store.Path))
        {
            failures.Add("Mlops:Pipelines:Store:Path must name the database file.");
        }

        if (options.Store.BusyTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Mlops:Pipelines:Store:BusyTimeout must be positive; got {options.Store.BusyTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(Action validate, string section)
        {
            try
            {
                validate();
            }
            catch (System.ComponentModel.DataAnnotations.ValidationException e)
            {
                failures.Add($"Mlops:Pipelines:{section}: {e.Message}");
            }
        }
    }
}
