using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Mlops.Storage;

/// <summary>
/// Checks <see cref="StorageOptions"/> as a whole: the data annotations of the nested options (which
/// <c>ValidateDataAnnotations</c> does not descend into) and the rules that span fields, such as the retry delays.
/// Failures name the configuration key at fault.
/// </summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Retry is null)
        {
            failures.Add("Retry: is required.");
        }
        else
        {
            AddAnnotationFailures(options.Retry, "Retry", failures);
            if (options.Retry.MaxDelay < options.Retry.Delay)
            {
                failures.Add($"Retry.MaxDelay ({options.Retry.MaxDelay}) must not be less than Retry.Delay ({options.Retry.Delay}).");
            }
        }

        if (options.Transfer is null)
        {
            failures.Add("Transfer: is required.");
        }
        else
        {
            AddAnnotationFailures(options.Transfer, "Transfer", failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AddAnnotationFailures(object instance, string prefix, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true))
        {
            foreach (var result in results)
            {
                var members = string.Join(", ", result.MemberNames.Select(m => $"{prefix}.{m}"));
                failures.Add($"{(members.Length > 0 ? members : prefix)}: {result.ErrorMessage}");
            }
        }
    }
}
