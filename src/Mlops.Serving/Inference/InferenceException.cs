namespace Mlops.Serving.Inference;

/// <summary>What went wrong with an inference call, which decides the HTTP status and gRPC code the front ends answer with.</summary>
public enum InferenceErrorKind
{
    /// <summary>The client's request is wrong (HTTP 400, gRPC INVALID_ARGUMENT): the message names the input, and expected versus got.</summary>
    InvalidRequest,

    /// <summary>No such model or version (HTTP 404, gRPC NOT_FOUND).</summary>
    ModelNotFound,

    /// <summary>The model is not ready or the server is overloaded (HTTP 503 with Retry-After, gRPC UNAVAILABLE).</summary>
    Unavailable,

    /// <summary>The request did not finish within the server's request timeout (HTTP 504, gRPC DEADLINE_EXCEEDED).</summary>
    Timeout,

    /// <summary>The caller is not authenticated (HTTP 401, gRPC UNAUTHENTICATED).</summary>
    Unauthenticated,

    /// <summary>The model failed on a valid request (HTTP 500, gRPC INTERNAL): a fault of the model or server, never of the client.</summary>
    ModelFailed,
}

/// <summary>An inference call that failed, with the kind of failure and a message that names what is wrong.</summary>
public sealed class InferenceException : MlopsException
{
    /// <summary>Creates an exception of a kind.</summary>
    public InferenceException(InferenceErrorKind kind, string message, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        RetryAfter = retryAfter;
    }

    /// <summary>What went wrong.</summary>
    public InferenceErrorKind Kind { get; }

    /// <summary>For <see cref="InferenceErrorKind.Unavailable"/>: when to try again (the Retry-After header), or null.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>A bad request (400).</summary>
    public static InferenceException InvalidRequest(string message) => new(InferenceErrorKind.InvalidRequest, message);

    /// <summary>An unknown model or version (404).</summary>
    public static InferenceException ModelNotFound(string model, string? version) =>
        new(InferenceErrorKind.ModelNotFound, version is null ? $"model '{model}' is not served here." : $"model '{model}' has no version '{version}' served here.");

    /// <summary>Not ready or overloaded (503).</summary>
    public static InferenceException Unavailable(string message, TimeSpan? retryAfter = null) => new(InferenceErrorKind.Unavailable, message, retryAfter ?? TimeSpan.FromSeconds(1));
}
