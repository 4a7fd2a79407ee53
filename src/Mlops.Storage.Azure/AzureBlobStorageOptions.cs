using System.ComponentModel.DataAnnotations;
using Azure.Storage.Blobs;

namespace Mlops.Storage.Azure;

/// <summary>
/// Credentials per Azure Storage account, and the SDK client options. Bound by
/// <c>services.AddMlops(configuration).AddAzureBlobStorage()</c> from <c>Mlops:Storage</c> — the same section as
/// Core's <see cref="StorageOptions"/> (retries, transfer sizes), so accounts stay at <c>Mlops:Storage:Accounts:&lt;name&gt;</c> —
/// and validated when the host starts; given to <see cref="AzureBlobStoreProvider"/>'s constructor without a host.
/// </summary>
/// <example>
/// <code language="json">
/// "Mlops": { "Storage": {
///   "Accounts": { "mydata": { "ConnectionString": "DefaultEndpointsProtocol=https;AccountName=mydata;..." } },
///   "Retry": { "MaxRetryAttempts": 5 } } }
/// </code>
/// </example>
public sealed class AzureBlobStorageOptions
{
    /// <summary>
    /// The name of the section under <c>Mlops</c> these options are bound from (<c>Mlops:Storage</c>, shared with
    /// <see cref="StorageOptions"/>: each binds its own keys).
    /// </summary>
    public const string SectionName = StorageOptions.SectionName;

    /// <summary>The environment variable read when an account is not configured in <see cref="Accounts"/>.</summary>
    public const string ConnectionStringVariable = "AZURE_STORAGE_CONNECTION_STRING";

    /// <summary>
    /// Credentials per storage account, keyed by account name (case-insensitive). An account that is not listed
    /// falls back to the <see cref="ConnectionStringVariable"/> environment variable when that names the account.
    /// </summary>
    [Required]
    public Dictionary<string, AzureBlobAccountOptions> Accounts { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Adjusts the Azure SDK client options of every account (proxies, diagnostics, extra pipeline policies).
    /// Runs after the store has turned the SDK's own retries off; turning them back on makes retries compound.
    /// Not bindable from configuration.
    /// </summary>
    public Action<BlobClientOptions>? ConfigureClientOptions { get; set; }
}
