using Grpc.Core;
using Mlops.Serving.Inference;

namespace Mlops.Serving.Protocol;

/// <summary>
/// The one mapping from <see cref="InferenceErrorKind"/> to HTTP status and gRPC code (as documented on the enum),
/// and the message a client sees: the service's own message, except for <see cref="InferenceErrorKind.ModelFailed"/>,
/// whose text may carry paths or model internals and stays in the server log.
/// </summary>
internal static class ProtocolErrors
{
    public static int HttpStatus(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidRequest => 400,
        InferenceErrorKind.ModelNotFound => 404,
        InferenceErrorKind.Unavailable => 503,
        InferenceErrorKind.Timeout => 504,
        InferenceErrorKind.Unauthenticated => 401,
        _ => 500,
    };

    public static StatusCode GrpcStatus(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidRequest => StatusCode.InvalidArgument,
        InferenceErrorKind.ModelNotFound => StatusCode.NotFound,
        InferenceErrorKind.Unavailable => StatusCode.Unavailable,
        InferenceErrorKind.Timeout => StatusCode.DeadlineExceeded,
        InferenceErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        _ => StatusCode.Internal,
    };

    /// <summary>The message for the client: never the text of a model failure.</summary>
    public static string ClientMessage(InferenceException exception, string model, string operation) =>
        exception.Kind == InferenceErrorKind.ModelFailed ? ModelFailedMessage(model, operation) : exception.Message;

    /// <summary>The generic message of a server-side failure; the details go to the log only.</summary>
    public static string ModelFailedMessage(string model, string operation) =>
        $"model '{model}' failed in {operation}; the server log has the details.";

    /// <summary>Retry-After in whole seconds, at least 1 (HTTP's delay-seconds).</summary>
    public static string RetryAfterSeconds(TimeSpan? retryAfter) =>
        ((long)Math.Max(1, Math.Ceiling((retryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string TimeoutMessage(string model, TimeSpan timeout) =>
        $"inference on model '{model}' did not finish within the server's request timeout of {timeout.TotalSeconds:0.###} s.";

    public const string UnauthenticatedMessage =
        "missing or invalid API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.";
}

/// <summary>A request the front end refuses before it reaches the service, with the HTTP status to answer.</summary>
internal sealed class ProtocolRejection(int httpStatus, InferenceErrorKind kind, string message) : Exception(message)
{
    public int HttpStatus { get; } = httpStatus;

    public InferenceErrorKind Kind { get; } = kind;

    public static ProtocolRejection BodyTooLarge(long? length, long limit) => new(
        413, InferenceErrorKind.InvalidRequest,
        length is { } n
            ? $"the request body of {n} bytes exceeds the server's limit of {limit} bytes."
            : $"the request body exceeds the server's limit of {limit} bytes.");
}
