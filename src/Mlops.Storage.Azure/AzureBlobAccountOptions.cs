using Azure.Core;
using Mlops.Storage;

namespace Mlops.Storage.Azure;

/// <summary>
/// How to reach one Azure Storage account. Give either a <see cref="ConnectionString"/>, or a
/// <see cref="ServiceUri"/> with a <see cref="TokenCredential"/> (Microsoft Entra ID) or a <see cref="SasToken"/>;
/// a service URI alone means anonymous access to public containers.
/// </summary>
public sealed class AzureBlobAccountOptions
{
    /// <summary>A storage connection string (account key, SAS or <c>UseDevelopmentStorage=true</c>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob service endpoint, e.g. <c>https://account.blob.core.windows.net</c>.</summary>
    public Uri? ServiceUri { get; set; }

    /// <summary>A shared access signature (with or without the leading '?') appended to <see cref="ServiceUri"/>.</summary>
    public string? SasToken { get; set; }

    /// <summary>
    /// A Microsoft Entra ID credential (for example <c>DefaultAzureCredential</c> from Azure.Identity) used with
    /// <see cref="ServiceUri"/>. Not bindable from configuration: set it in code.
    /// </summary>
    public TokenCredential? TokenCredential { get; set; }
}
