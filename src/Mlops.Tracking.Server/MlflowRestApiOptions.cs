namespace Mlops.Tracking.Server;

/// <summary>
/// What the MLflow REST API accepts from the network: which cross-site origins may call it and how large a request
/// body may be. A request refused here gets a 4xx in MLflow's error shape (<c>{"error_code", "message"}</c>).
/// </summary>
public sealed class MlflowRestApiOptions
{
    /// <summary>Kestrel's own default body limit (30,000,000 bytes), which this API keeps unless told otherwise.</summary>
    public const long DefaultMaxRequestBodySize = 30_000_000;

    /// <summary>
    /// Origins (<c>scheme://host[:port]</c>, compared case-insensitively) allowed to send mutating requests
    /// (POST, PATCH, DELETE) and CORS preflights besides the defaults: the request's own <c>Host</c> and the loopback
    /// origins (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>) on the server's own port. A mutating request carrying
    /// any other <c>Origin</c> is refused with 403 <c>PERMISSION_DENIED</c>.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>The largest request body accepted, in bytes; a larger one gets 413. Default 30,000,000.</summary>
    public long MaxRequestBodySize { get; set; } = DefaultMaxRequestBodySize;
}
