using System.Net;
using Mlops.Storage;

namespace Mlops.Storage.Azure;

/// <summary>
/// A blob location parsed from one of the URI forms tools write: <c>wasbs://container@account.blob.core.windows.net/path</c>
/// (MLflow, Spark), <c>wasb://</c>, <c>abfss://container@account.dfs.core.windows.net/path</c> (Data Lake Gen2,
/// mapped to the blob endpoint), <c>https://account.blob.core.windows.net/container/path</c>, and emulator URLs
/// <c>http://127.0.0.1:10000/account/container/path</c> whose account is the first path segment.
/// </summary>
/// <param name="Account">The storage account name, lower-case.</param>
/// <param name="Container">The container name.</param>
/// <param name="Path">The blob path inside the container ('/'-separated, unescaped, no leading '/'; may be empty).</param>
/// <param name="ServiceUri">The blob service endpoint the URI names (for an emulator, including the account segment).</param>
internal sealed record AzureBlobUri(string Account, string Container, string Path, Uri ServiceUri)
{
    /// <summary>Whether <paramref name="scheme"/> is one this parser handles.</summary>
    public static bool HandlesScheme(string scheme) =>
        scheme.ToLowerInvariant() is "wasb" or "wasbs" or "abfs" or "abfss" or "http" or "https";

    /// <summary>Parses a blob URI.</summary>
    /// <exception cref="ArgumentException">The URI is not one of the supported blob forms; the message shows them.</exception>
    public static AzureBlobUri Parse(string location)
    {
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri))
        {
            throw Invalid(location, "it is not a well-formed URI");
        }

        var scheme = uri.Scheme.ToLowerInvariant();
        return scheme switch
        {
            "wasbs" or "abfss" => ParseHadoopStyle(location, uri, "https", scheme == "abfss"),
            "wasb" or "abfs" => ParseHadoopStyle(location, uri, "http", scheme == "abfs"),
            "https" or "http" => ParseHttp(location, uri),
            _ => throw Invalid(location, $"scheme '{uri.Scheme}' is not a blob storage scheme"),
        };
    }

    private static AzureBlobUri ParseHadoopStyle(string location, Uri uri, string httpScheme, bool dataLake)
    {
        // container@account.blob.core.windows.net: the container is the user-info part.
        var container = Uri.UnescapeDataString(uri.UserInfo);
        if (container.Length == 0)
        {
            throw Invalid(location, "it names no container (expected container@account.host)");
        }

        var (account, suffix) = SplitHost(location, uri.Host, dataLake ? ["dfs", "blob"] : ["blob"]);
        var port = uri.IsDefaultPort ? string.Empty : ":" + uri.Port;
        var service = new Uri($"{httpScheme}://{account}.blob.{suffix}{port}/");
        return new AzureBlobUri(account, CheckContainer(location, container), BlobPath(uri), service);
    }

    private static AzureBlobUri ParseHttp(string location, Uri uri)
    {
        var segments = Uri.UnescapeDataString(uri.AbsolutePath).TrimStart('/').Split('/', 2);
        if (IsEmulatorHost(uri))
        {
            // Path-style: /account/container/path, as the storage emulator (Azurite) serves.
            var parts = Uri.UnescapeDataString(uri.AbsolutePath).TrimStart('/').Split('/', 3);
            if (parts.Length < 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw Invalid(location, "an emulator URL needs /account/container/path");
            }

            var service = new Uri($"{uri.Scheme}://{uri.Authority}/{parts[0]}/");
            return new AzureBlobUri(parts[0].ToLowerInvariant(), CheckContainer(location, parts[1]), parts.Length > 2 ? parts[2] : string.Empty, service);
        }

        var (account, suffix) = SplitHost(location, uri.Host, ["blob"]);
        if (segments[0].Length == 0)
        {
            throw Invalid(location, "it names no container (expected https://account.blob.core.windows.net/container/path)");
        }

        var port = uri.IsDefaultPort ? string.Empty : ":" + uri.Port;
        return new AzureBlobUri(account, CheckContainer(location, segments[0]), segments.Length > 1 ? segments[1] : string.Empty, new Uri($"{uri.Scheme}://{account}.blob.{suffix}{port}/"));
    }

    private static (string Account, string Suffix) SplitHost(string location, string host, string[] services)
    {
        // account.blob.core.windows.net, or a sovereign cloud's suffix (core.chinacloudapi.cn, ...).
        var labels = host.ToLowerInvariant().Split('.');
        if (labels.Length < 3 || labels[0].Length == 0 || !services.Contains(labels[1]))
        {
            throw Invalid(location, $"host '{host}' is not of the form account.{services[0]}.core.windows.net");
        }

        return (labels[0], string.Join('.', labels[2..]));
    }

    private static bool IsEmulatorHost(Uri uri) =>
        uri.IsLoopback || IPAddress.TryParse(uri.Host.Trim('[', ']'), out _);

    private static string BlobPath(Uri uri) => Uri.UnescapeDataString(uri.AbsolutePath).TrimStart('/');

    private static string CheckContainer(string location, string container)
    {
        // The service's rule ($root and $web are its special containers): 3-63 of a-z, 0-9 and '-'.
        var valid = container is "$root" or "$web" ||
            (container.Length is >= 3 and <= 63 && container.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'));
        return valid ? container : throw Invalid(location, $"'{container}' is not a valid container name (3-63 lower-case letters, digits and '-')");
    }

    private static ArgumentException Invalid(string location, string reason) => new(
        $"Storage location '{location}' is not a blob URI that can be resolved: {reason}. Supported forms: " +
        "wasbs://container@account.blob.core.windows.net/path, abfss://container@account.dfs.core.windows.net/path, " +
        "https://account.blob.core.windows.net/container/path, and http://127.0.0.1:10000/account/container/path for the emulator.",
        nameof(location));
}
