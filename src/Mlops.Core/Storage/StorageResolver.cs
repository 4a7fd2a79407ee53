using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Mlops.Hosting;

namespace Mlops.Storage;

/// <summary>
/// Turns a location string into a <see cref="StorageLocation"/>: a local path or <c>file://</c> URI maps to a
/// <see cref="LocalBlobStore"/>; any other location goes to the first <see cref="IBlobStoreProvider"/> that can
/// resolve it, such as Mlops.Storage.Azure's for <c>wasbs://</c>, <c>abfss://</c> and https blob URLs.
/// </summary>
/// <remarks>
/// Providers create one store per container and resolver and reuse it, so its retry pipeline and HTTP connections
/// are shared by every location in that container. The resolver is immutable and thread-safe.
/// </remarks>
public class StorageResolver
{
    private const string AzurePackageHint =
        "add the Mlops.Storage.Azure package and register it: services.AddMlops(configuration).AddStorage().AddAzureBlobStorage(...) " +
        "in a host, or new StorageResolver(options, providers: [new AzureBlobStoreProvider(azureOptions)]) without one";

    private readonly IBlobStoreProvider[] _providers;
    private readonly ConcurrentDictionary<string, LocalBlobStore> _localRoots = new(StringComparer.Ordinal);

    /// <summary>Creates a resolver.</summary>
    /// <param name="options">Retries and transfer sizes for the providers' stores; defaults if null. Validated here.</param>
    /// <param name="timeProvider">The clock for retries and timeouts; <see cref="TimeProvider.System"/> if null.</param>
    /// <param name="loggerFactory">Creates the stores' loggers; nothing is logged if null.</param>
    /// <param name="providers">The remote storage this resolver knows, asked in order; local folders only if null or empty.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public StorageResolver(StorageOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IEnumerable<IBlobStoreProvider>? providers = null)
    {
        Options = options ?? new StorageOptions();
        MlopsOptions.Validate(Options, new StorageOptionsValidator());
        TimeProvider = timeProvider ?? TimeProvider.System;
        LoggerFactory = loggerFactory;
        _providers = providers?.ToArray() ?? [];
        if (Array.IndexOf(_providers, null) >= 0)
        {
            throw new ArgumentException("The providers must not contain null.", nameof(providers));
        }
    }

    /// <summary>
    /// The resolver of code without a host: default options and local folders only (a blob location fails saying
    /// which package to add). Immutable, never replaced: a host's configured resolver reaches readers, writers and
    /// clients through dependency injection (<c>.AddStorage()</c>); without a host pass a resolver in a call's options.
    /// </summary>
    public static StorageResolver Default { get; } = new();

    /// <summary>The retries and transfer sizes the providers build their stores with.</summary>
    public StorageOptions Options { get; }

    /// <summary>The clock the stores use for retry delays and timeouts.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Creates the stores' loggers; null when nothing is logged.</summary>
    public ILoggerFactory? LoggerFactory { get; }

    /// <summary>Resolves a location string.</summary>
    /// <param name="location">
    /// A local path, <c>file://</c> URI, or a location a provider resolves (with Mlops.Storage.Azure:
    /// <c>wasbs://container@account.blob.core.windows.net/path</c>, <c>wasb://</c>,
    /// <c>abfss://container@account.dfs.core.windows.net/path</c>, <c>https://account.blob.core.windows.net/container/path</c>
    /// or emulator URL <c>http://127.0.0.1:10000/account/container/path</c>).
    /// </param>
    /// <exception cref="ArgumentException">The location is empty, malformed, or its scheme is not supported.</exception>
    /// <exception cref="StorageConfigurationException">
    /// No provider is registered for an Azure location (the message names the package to add), or no credentials
    /// are configured for the location's account.
    /// </exception>
    public virtual StorageLocation Resolve(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        var schemeEnd = location.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return ResolveLocal(location);
        }

        var scheme = location[..schemeEnd].ToLowerInvariant();
        if (scheme == "file")
        {
            return ResolveLocal(new Uri(location).LocalPath);
        }

        foreach (var provider in _providers)
        {
            if (provider.CanResolve(scheme, location))
            {
                return provider.Resolve(location, this);
            }
        }

        if (scheme is "wasb" or "wasbs" or "abfs" or "abfss")
        {
            throw new StorageConfigurationException($"Storage location '{location}' is on Azure Blob Storage, which this resolver has no provider for: {AzurePackageHint}.");
        }

        if (scheme is "http" or "https")
        {
            throw new StorageConfigurationException($"Storage location '{location}' is a URL, which no provider of this resolver handles; for Azure Blob Storage URLs {AzurePackageHint}.");
        }

        throw new ArgumentException(
            $"Storage location '{location}' has scheme '{location[..schemeEnd]}', which this resolver does not handle; use a local path or file://" +
            (_providers.Length == 0 ? $" (for Azure Blob Storage, {AzurePackageHint})." : ", or a location one of its providers handles."),
            nameof(location));
    }

    private StorageLocation ResolveLocal(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var store = _localRoots.GetOrAdd(root, r => new LocalBlobStore(r));
        var relative = Path.GetRelativePath(root, full).Replace(Path.DirectorySeparatorChar, '/');
        return new StorageLocation(store, relative == "." ? string.Empty : relative);
    }
}
