using System.ComponentModel.DataAnnotations;

namespace Mlops.Storage;

/// <summary>
/// Configuration of storage: retries and transfer sizes of remote stores. Bound from the <c>Mlops:Storage</c>
/// configuration section by <c>services.AddMlops(configuration).AddStorage()</c> and validated when the host starts.
/// Credentials of Azure Storage accounts (<c>Mlops:Storage:Accounts</c>) belong to Mlops.Storage.Azure's
/// <c>AzureBlobStorageOptions</c>, bound from the same section.
/// </summary>
/// <example>
/// <code language="json">
/// "Mlops": { "Storage": {
///   "Retry": { "MaxRetryAttempts": 5, "Delay": "00:00:00.800" },
///   "Transfer": { "BlockSize": 8388608 } } }
/// </code>
/// </example>
public sealed class StorageOptions
{
    /// <summary>The name of the section under <c>Mlops</c> these options are bound from (<c>Mlops:Storage</c>).</summary>
    public const string SectionName = "Storage";

    /// <summary>How remote operations are retried.</summary>
    [Required]
    public BlobRetryOptions Retry { get; set; } = new();

    /// <summary>Block and chunk sizes, parallelism and copy timeouts.</summary>
    [Required]
    public BlobTransferOptions Transfer { get; set; } = new();
}
