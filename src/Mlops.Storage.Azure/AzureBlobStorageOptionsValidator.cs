using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace Mlops.Storage.Azure;

/// <summary>
/// Checks <see cref="AzureBlobStorageOptions"/>: every account needs a connection string, or a service URI (with a
/// token credential or a SAS token), not both. Failures name the configuration key at fault (<c>Accounts:&lt;name&gt;</c>).
/// </summary>
public sealed class AzureBlobStorageOptionsValidator : IValidateOptions<AzureBlobStorageOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, AzureBlobStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Accounts is null)
        {
            failures.Add("Accounts: is required.");
        }

        foreach (var (account, accountOptions) in options.Accounts ?? [])
        {
            ValidateAccount(account, accountOptions, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
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
}
