using System.ComponentModel.DataAnnotations;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace Mlops.Storage;

/// <summary>
/// Checks <see cref="StorageOptions"/> as a whole: the data annotations of the nested options (which
/// <c>ValidateDataAnnotations</c> does not descend into) and the rules that span fields, such as an account
/// needing a connection string or a service URI. Failures name the configuration key at fault.
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

        foreach (var (account, accountOptions) in options.Accounts ?? [])
        {
            ValidateAccount(account, accountOptions, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Validates <paramref name="options"/> and throws if anything is wrong.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid; the message lists every failure.</exception>
    public static void ThrowIfInvalid(StorageOptions options)
    {
        var result = new StorageOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(StorageOptions), result.Failures);
        }
    }

    private static void ValidateAccount(string account, AzureBlobAccountOptions? options, List<string> failures)
    {
        var key = $"Accounts:{account}";
        if (string.IsNullOrWhiteSpace(account))
        {
            failures.Add("Accounts: an account name (the key) must not be empty.");
            return;
        }

        if (options is null)
        {
            failures.Add($"{key}: is empty; set ConnectionString, or ServiceUri (with TokenCredential or SasToken).");
            return;
        }

        var hasConnectionString = !string.IsNullOrWhiteSpace(options.ConnectionString);
        if (hasConnectionString == (options.ServiceUri is not null))
        {
            failures.Add(hasConnectionString
                ? $"{key}: set either ConnectionString or ServiceUri, not both."
                : $"{key}: needs ConnectionString, or ServiceUri (with TokenCredential or SasToken).");
            return;
        }

        if (hasConnectionString)
        {
            if (options.TokenCredential is not null || !string.IsNullOrWhiteSpace(options.SasToken))
            {
                failures.Add($"{key}: TokenCredential and SasToken go with ServiceUri, not with ConnectionString.");
            }

            try
            {
                // Parsing only; constructing a client makes no request.
                _ = new BlobServiceClient(options.ConnectionString);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                failures.Add($"{key}:ConnectionString is not a valid storage connection string ({e.Message}).");
            }

            return;
        }

        var uri = options.ServiceUri!;
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{key}:ServiceUri '{uri}' must be an absolute http(s) URL such as https://{account}.blob.core.windows.net.");
        }

        if (options.TokenCredential is not null && !string.IsNullOrWhiteSpace(options.SasToken))
        {
            failures.Add($"{key}: set either TokenCredential or SasToken, not both.");
        }
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
