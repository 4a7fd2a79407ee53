namespace Mlops.Storage;

/// <summary>
/// Plugs a kind of remote storage into a <see cref="StorageResolver"/>: the resolver handles local paths and
/// <c>file://</c> itself and asks its providers, in order, for every other location. Mlops.Storage.Azure's
/// <c>AzureBlobStoreProvider</c> is one (<c>wasbs://</c>, <c>abfss://</c>, https blob URLs); a host registers it with
/// <c>.AddAzureBlobStorage()</c>, code without a host passes it to the resolver's constructor.
/// </summary>
public interface IBlobStoreProvider
{
    /// <summary>Whether this provider resolves <paramref name="location"/>, whose URI scheme is <paramref name="scheme"/> (lower-case).</summary>
    /// <param name="scheme">The location's scheme, lower-case, without "://".</param>
    /// <param name="location">The whole location string.</param>
    /// <returns>True to have <see cref="Resolve"/> called for it.</returns>
    bool CanResolve(string scheme, string location);

    /// <summary>
    /// Resolves a location this provider said it can. Stores should be created once per container (or bucket)
    /// and <paramref name="resolver"/>, and built with its <see cref="StorageResolver.Options"/> (retries and
    /// transfer sizes), <see cref="StorageResolver.TimeProvider"/> and <see cref="StorageResolver.LoggerFactory"/>.
    /// </summary>
    /// <param name="location">The location.</param>
    /// <param name="resolver">The resolver asking.</param>
    /// <returns>The store and the path inside it.</returns>
    /// <exception cref="ArgumentException">The location is malformed; the message says why.</exception>
    /// <exception cref="StorageConfigurationException">No credentials are configured for the location.</exception>
    StorageLocation Resolve(string location, StorageResolver resolver);
}
