using System.Collections.Concurrent;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace Mlops.Storage;

/// <summary>
/// Turns a location string into a <see cref="StorageLocation"/>: a local path or <c>file://</c> URI maps to a
/// <see cref="LocalBlobStore"/>; blob-storage URIs (<c>wasbs://</c>, <c>wasb://</c>, <c>abfss://</c>, https blob URLs
/// and emulator URLs) map to an <see cref="AzureBlobStore"/> for their container, with the credentials that
/// <see cref="StorageOptions"/> configures for the account.
/// </summary>
/// <remarks>
/// One store is created per (account, container) and reused, so its retry pipeline and HTTP connections are
/// shared by every location in that container. The resolver is thread-safe.
/// </remarks>
public class StorageResolver
{
    /// <summary>The environment variable read when an account is not configured in <see cref="StorageOptions"/>.</summary>
    public const string ConnectionStringVariable = "AZURE_STORAGE_CONNECTION_STRING";

    private readonly StorageOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly Func<string, string?> _environment;
    private readonly ConcurrentDictionary<string, BlobServiceClient> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<(string Account, string Container), AzureBlobStore> _containers = new();
    private readonly ConcurrentDictionary<string, LocalBlobStore> _localRoots = new(StringComparer.Ordinal);

    /// <summary>Creates a resolver.</summary>
    /// <param name="options">Credentials, retries and transfer sizes; defaults if null. Validated here.</param>
    /// <param name="timeProvider">The clock for retries and timeouts; <see cref="TimeProvider.System"/> if null.</param>
    /// <param name="loggerFactory">Creates the stores' loggers; nothing is logged if null.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public StorageResolver(StorageOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
        : this(options, timeProvider, loggerFactory, Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>Creates a resolver that reads environment variables through <paramref name="environment"/> (for tests).</summary>
    internal StorageResolver(StorageOptions? options, TimeProvider? timeProvider, ILoggerFactory? loggerFactory, Func<string, string?> environment)
    {
        _options = options ?? new StorageOptions();
        StorageOptionsValidator.ThrowIfInvalid(_options);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory;
        _environment = environment;
    }

    /// <summary>The clock the resolver's stores use for retry delays and timeouts.</summary>
    internal TimeProvider TimeProvider => _timeProvider;

    /// <summary>
    /// The resolver of code without a host, with default options: immutable, never replaced. A host's configured
    /// resolver reaches readers, writers and clients through dependency injection (<c>.AddStorage()</c>), not through
    /// this property; pass <c>Resolver</c> in a call's options to use another one without a host.
    /// </summary>
    public static StorageResolver Default { get; } = new();

    /// <summary>Resolves a location string.</summary>
    /// <param name="location">
    /// A local path, <c>file://</c> URI, <c>wasbs://container@account.blob.core.windows.net/path</c>, <c>wasb://</c>,
    /// <c>abfss://container@account.dfs.core.windows.net/path</c>, <c>https://account.blob.core.windows.net/container/path</c>
    /// or emulator URL <c>http://127.0.0.1:10000/account/container/path</c>.
    /// </param>
    /// <exception cref="ArgumentException">The location is empty, malformed, or its scheme is not supported.</exception>
    /// <exception cref="StorageConfigurationException">No credentials are configured for the location's account.</exception>
    public virtual StorageLocation Resolve(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        var schemeEnd = location.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return ResolveLocal(location);
        }

        var scheme = location[..schemeEnd];
        if (scheme.Equals("file", StringComparison.OrdinalIgnoreCase))
        {
            return ResolveLocal(new Uri(location).LocalPath);
        }

        if (!AzureBlobUri.HandlesScheme(scheme))
        {
            throw new ArgumentException(
                $"Storage location '{location}' has scheme '{scheme}', which this resolver does not handle; use a local path, file://, wasbs://, wasb://, abfss://, abfs:// or an http(s) blob URL.",
                nameof(location));
        }

        var blobUri = AzureBlobUri.Parse(location);
        var store = _containers.GetOrAdd((blobUri.Account, blobUri.Container), key => CreateStore(key.Account, key.Container, location));
        return new StorageLocation(store, blobUri.Path);
    }

    private StorageLocation ResolveLocal(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var store = _localRoots.GetOrAdd(root, r => new LocalBlobStore(r));
        var relative = Path.GetRelativePath(root, full).Replace(Path.DirectorySeparatorChar, '/');
        return new StorageLocation(store, relative == "." ? string.Empty : relative);
    }

    private AzureBlobStore CreateStore(string account, string container, string location)
    {
        var service = _accounts.GetOrAdd(account, a => CreateServiceClient(a, location));
        return new AzureBlobStore(
            service.GetBlobContainerClient(container),
            rootPrefix: null,
            _options.Retry,
            _options.Transfer,
            _timeProvider,
            _loggerFactory?.CreateLogger<AzureBlobStore>());
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
        var connectionString = _environment(ConnectionStringVariable);
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
            $"(services.AddMlops(configuration).AddStorage(...) or new StorageResolver(new StorageOptions {{ ... }})), " +
            $"or set {ConnectionStringVariable} to a connection string for that account.");
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
