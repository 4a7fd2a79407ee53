namespace Mlops.Features.Redis;

/// <summary>
/// The Redis online store could not do what was asked: Redis was unreachable, did not answer within the operation
/// timeout, or refused a command. The message and <see cref="Endpoint"/> name the server.
/// </summary>
public sealed class RedisOnlineStoreException : MlopsException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, naming the endpoint and what to do.</param>
    /// <param name="endpoint">The Redis endpoint(s), as configured (<c>host:port</c>, comma-separated).</param>
    /// <param name="innerException">StackExchange.Redis's error.</param>
    public RedisOnlineStoreException(string message, string endpoint, Exception? innerException = null)
        : base(message, innerException)
    {
        Endpoint = endpoint;
    }

    /// <summary>The Redis endpoint(s) the store uses, as configured.</summary>
    public string Endpoint { get; }
}
