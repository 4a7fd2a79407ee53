using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Mlops.Hosting;

namespace Mlops.Storage.Azure;

/// <summary>
/// Resolves Azure Blob Storage locations for a <see cref="StorageResolver"/>: <c>wasbs://</c>, <c>wasb://</c>,
/// <c>abfss://</c>, <c>abfs://</c>, https blob URLs and emulator URLs map to an <see cref="AzureBlobStore"/> for their
/// container, with the credentials <see cref="AzureBlobStorageOptions"/> configures for the account (else the
/// <see cref="AzureBlobStorageOptions.ConnectionStringVariable"/> environment variable, when it names the account).
/// </summary>
/// <remarks>
/// A host registers it with <c>.AddAzureBlobStorage()</c>; without a host:
/// <c>new StorageResolver(storageOptions, providers: [new AzureBlobStoreProvider(azureOptions)])</c>. One store is
/// created per container and resolver, with the resolver's retries, transfer sizes, clock and logger factory; one
/// service client per account. Thread-safe.
/// </remarks>
public class AzureBlobStoreProvider : IBlobStoreProvider
{
    private readonly AzureBlobStorageOptions _options;
    private readonly Func<string, string?> _environment;
    private readonly ConcurrentDictionary<string, BlobServiceClient> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConditionalWeakTable<StorageResolver, ConcurrentDictionary<(string Account, string Container), AzureBlobStore>> _stores = new();

    /// <summary>Creates a provider.</summary>
    /// <param name="options">Credentials per account; none (the environment variable only) if null. Validated here.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid; the message names the account.</exception>
    public AzureBlobStoreProvider(AzureBlobStorageOptions? options = null)
        : this(options, Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>Creates a provider that reads environment variables through <paramref name="environment"/> (for tests).</summary>
    internal AzureBlobStoreProvider(AzureBlobStorageOptions? options, Func<string, string?> environment)
    {
        _options = MlopsOptions.Validate(options ?? new AzureBlobStorageOptions(), new AzureBlobStorageOptionsValidator());
        _environment = environment;
    }

    /// <inheritdoc/>
    public virtual bool CanResolve(string scheme, string location) => AzureBlobUri.HandlesScheme(scheme);

    /// <inheritdoc/>
    public virtual StorageLocation Resolve(string location, StorageResolver resolver)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        ArgumentNullException.ThrowIfNull(resolver);
        var blobUri = AzureBlobUri.Parse(location);
        var stores = _stores.GetValue(resolver, _ => new());
        var store = stores.GetOrAdd((blobUri.Account, blobUri.Container), key => CreateStore(key.Account, key.Container, location, resolver));
        return new StorageLocation(store, blobUri.Path);
    }

    private AzureBlobStore CreateStore(string account, string container, string location, StorageResolver resolver)
    {
        var service = _accounts.GetOrAdd(account, a => CreateServiceClient(a, location));
        return new AzureBlobStore(
            service.GetBlobContainerClient(container),
            rootPrefix: null,
            resolver.Options.Retry,
            resolver.Options.Transfer,
            resolver.TimeProvider,
            resolver.LoggerFactory?.CreateLogger<AzureBlobStore>());
    }

    private BlobServiceClient CreateServiceClient(string account, string location)
    {
        var clientOptions = AzureBlobStore.CreateClientOptions();
        _options.ConfigureClientOptions?.Invoke(clientOptions);
        if (_options.Accounts.TryGetValue(account, out var configured))
        {
            return Connect(configured, clientOptions);
        }

        // Nothing configured for the account: the SDKs' conventional variable, if it is for this account.
        var connectionString = _environment(AzureBlobStorageOptions.ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            var fromEnvironment = new BlobServiceClient(connectionString, clientOptions);
            if (string.Equals(fromEnvironment.AccountName, account, StringComparison.OrdinalIgnoreCase))
            {
                return fromEnvironment;
            }
        }

        throw new StorageConfigurationException(
            $"No credentials are configured for storage account '{account}' (needed for '{location}'). " +
            $"Configure Mlops:Storage:Accounts:{account} with a ConnectionString, or a ServiceUri with a TokenCredential or SasToken " +
            $"(services.AddMlops(configuration).AddAzureBlobStorage(...) or new AzureBlobStoreProvider(new AzureBlobStorageOptions {{ ... }})), " +
            $"or set {AzureBlobStorageOptions.ConnectionStringVariable} to a connection string for that account.");
    }

    private static BlobServiceClient Connect(AzureBlobAccountOptions account, BlobClientOptions clientOptions)
    {
        if (!string.IsNullOrWhiteSpace(account.ConnectionString))
        {
            return new BlobServiceClient(account.ConnectionString, clientOptions);
        }

        var serviceUri = account.ServiceUri!;
        if (account.TokenCredential is { } credential)
        {
            return new BlobServiceClient(serviceUri, credential, clientOptions);
        }

        if (!string.IsNullOrWhiteSpace(account.SasToken))
        {
            return new BlobServiceClient(new UriBuilder(serviceUri) { Query = account.SasToken.TrimStart('?') }.Uri, clientOptions);
        }

        return new BlobServiceClient(serviceUri, clientOptions);
    }
}
