using System.ComponentModel.DataAnnotations;
using Azure.Storage.Blobs;

namespace Mlops.Storage;

/// <summary>
/// Configuration of storage: credentials per Azure Storage account, retries and transfer sizes. Bound from the
/// <c>Mlops:Storage</c> configuration section by <c>services.AddMlops(configuration).AddStorage()</c> and validated when the host starts.
/// </summary>
/// <example>
/// <code language="json">
/// "Mlops": { "Storage": {
///   "Accounts": { "mydata": { "ConnectionString": "DefaultEndpointsProtocol=https;AccountName=mydata;..." } },
///   "Retry": { "MaxRetryAttempts": 5, "Delay": "00:00:00.800" } } }
/// </code>
/// </example>
public sealed class StorageOptions
{
    /// <summary>The name of the section under <c>Mlops</c> these options are bound from (<c>Mlops:Storage</c>).</summary>
    public const string SectionName = "Storage";

    /// <summary>
    /// Credentials per storage account, keyed by account name (case-insensitive). An account that is not listed
    /// falls back to the <c>AZURE_STORAGE_CONNECTION_STRING</c> environment variable when that names the account.
    /// </summary>
    [Required]
    public Dictionary<string, AzureBlobAccountOptions> Accounts { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How remote operations are retried.</summary>
    [Required]
    public BlobRetryOptions Retry { get; set; } = new();

    /// <summary>Block and chunk sizes, parallelism and copy timeouts.</summary>
    [Required]
    public BlobTransferOptions Transfer { get; set; } = new();

    /// <summary>
    /// Adjusts the Azure SDK client options of every account (proxies, diagnostics, extra pipeline policies).
    /// Runs after the store has turned the SDK's own retries off; turning them back on makes retries compound.
    /// Not bindable from configuration.
    /// </summary>
    public Action<BlobClientOptions>? ConfigureClientOptions { get; set; }
}
