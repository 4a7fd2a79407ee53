using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Mlops.Serving.Security;

/// <summary>
/// Checks the API key of a REST or gRPC call against <see cref="ServingOptions.ApiKeys"/>: the key comes as
/// <c>Authorization: Bearer KEY</c> or <c>X-API-Key: KEY</c>. Keys are compared as SHA-256 hashes with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, against every configured key without stopping at a match,
/// so neither a key's content nor its length shows in the time an answer takes. No keys configured: every call passes.
/// </summary>
internal sealed class ApiKeyAuthenticator
{
    public const string ApiKeyHeader = "X-API-Key";

    private readonly byte[][] keyHashes;

    public ApiKeyAuthenticator(IOptions<ServingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        keyHashes = [.. options.Value.ApiKeys.Where(k => !string.IsNullOrEmpty(k)).Select(Hash)];
    }

    /// <summary>Whether calls must carry a key.</summary>
    public bool Enabled => keyHashes.Length > 0;

    /// <summary>Whether a call with these headers (either may be null) is let in.</summary>
    public bool IsAuthorized(string? authorization, string? apiKey)
    {
        if (!Enabled)
        {
            return true;
        }

        var authorized = false;
        if (!string.IsNullOrEmpty(apiKey))
        {
            authorized |= Matches(apiKey);
        }

        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization.AsSpan(7).Trim();
            if (!token.IsEmpty)
            {
                authorized |= Matches(token.ToString());
            }
        }

        return authorized;
    }

    private bool Matches(string candidate)
    {
        var hash = Hash(candidate);
        var match = false;
        foreach (var key in keyHashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(hash, key);
        }

        return match;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
