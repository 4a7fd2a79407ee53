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

    /// <summary>Kestrel's own default request line limit (8,192 bytes), which this API keeps as its URL limit unless told otherwise.</summary>
    public const int DefaultMaxRequestTargetLength = 8192;

    /// <summary>
    /// The longest request target (path and query string) accepted, in characters; a longer one gets 414 in MLflow's
    /// error shape. Default 8,192. Kestrel answers lines over its own <c>MaxRequestLineSize</c> before any endpoint runs,
    /// with a bare 414: the standalone server raises that to <see cref="KestrelMaxRequestLineSize"/> so this check answers first.
    /// </summary>
    public int MaxRequestTargetLength { get; set; } = DefaultMaxRequestTargetLength;

    /// <summary>The request line limit the standalone server gives Kestrel (1 MiB): longer lines still get Kestrel's bare 414.</summary>
    public const int KestrelMaxRequestLineSize = 1 << 20;
}
