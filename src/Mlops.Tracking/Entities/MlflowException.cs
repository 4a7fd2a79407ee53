namespace Mlops.Tracking;

/// <summary>
/// An error with one of MLflow's error codes (<see cref="MlflowErrorCodes"/>), so that a REST server can answer with
/// MLflow's JSON error shape and status code, and a REST client can rethrow what a server said.
/// </summary>
public class MlflowException : MlopsException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">One of <see cref="MlflowErrorCodes"/>.</param>
    /// <param name="message">What went wrong, naming the run, key or token at fault.</param>
    /// <param name="innerException">The cause, if any.</param>
    public MlflowException(string errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>MLflow's error code, such as <c>RESOURCE_DOES_NOT_EXIST</c>.</summary>
    public string ErrorCode { get; }

    /// <summary>The HTTP status MLflow's server answers this code with.</summary>
    public int HttpStatusCode => MlflowErrorCodes.ToHttpStatus(ErrorCode);

    /// <summary>An INVALID_PARAMETER_VALUE error: the request names something malformed or not allowed.</summary>
    /// <param name="message">What is wrong and where.</param>
    /// <returns>The exception, to throw.</returns>
    public static MlflowException InvalidParameter(string message) => new(MlflowErrorCodes.InvalidParameterValue, message);

    /// <summary>A RESOURCE_DOES_NOT_EXIST error.</summary>
    /// <param name="message">What is missing.</param>
    /// <returns>The exception, to throw.</returns>
    public static MlflowException NotFound(string message) => new(MlflowErrorCodes.ResourceDoesNotExist, message);

    /// <summary>
    /// A RESOURCE_ALREADY_EXISTS error, the one way every store in Mlops.Tracking (SQLite, REST, in memory) reports a
    /// name that is taken, as MLflow does.
    /// </summary>
    /// <param name="message">What exists, in MLflow's words (e.g. <c>Experiment(name=x) already exists.</c>).</param>
    /// <returns>The exception, to throw.</returns>
    public static MlflowException AlreadyExists(string message) => new(MlflowErrorCodes.ResourceAlreadyExists, message);
}

/// <summary>MLflow's error codes (the <c>error_code</c> field of its REST errors) and their HTTP statuses.</summary>
public static class MlflowErrorCodes
{
    /// <summary>A request parameter is invalid (HTTP 400).</summary>
    public const string InvalidParameterValue = "INVALID_PARAMETER_VALUE";

    /// <summary>A resource does not exist (HTTP 404).</summary>
    public const string ResourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST";

    /// <summary>A resource already exists (HTTP 400).</summary>
    public const string ResourceAlreadyExists = "RESOURCE_ALREADY_EXISTS";

    /// <summary>The request is malformed (HTTP 400).</summary>
    public const string BadRequest = "BAD_REQUEST";

    /// <summary>The state does not allow the operation (HTTP 400).</summary>
    public const string InvalidState = "INVALID_STATE";

    /// <summary>An unexpected server error (HTTP 500).</summary>
    public const string InternalError = "INTERNAL_ERROR";

    /// <summary>The endpoint does not exist (HTTP 404).</summary>
    public const string EndpointNotFound = "ENDPOINT_NOT_FOUND";

    /// <summary>A limit was exceeded (HTTP 429).</summary>
    public const string RequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED";

    /// <summary>The HTTP status MLflow answers an error code with.</summary>
    public static int ToHttpStatus(string errorCode) => errorCode switch
    {
        ResourceDoesNotExist or EndpointNotFound => 404,
        InvalidParameterValue or ResourceAlreadyExists or BadRequest or InvalidState => 400,
        RequestLimitExceeded => 429,
        "PERMISSION_DENIED" => 403,
        "UNAUTHENTICATED" => 401,
        "TEMPORARILY_UNAVAILABLE" => 503,
        _ => 500,
    };
}
