namespace Mlops.Serving.Inference;

/// <summary>
/// The server behind the protocol's front ends (REST, gRPC, the in-process predictor): health, metadata, inference and
/// the model repository. Front ends translate the wire to these calls and <see cref="InferenceException"/> kinds to
/// status codes; the one implementation registered by <c>AddServing</c> loads, batches, routes and reloads models.
/// Unsealed with a protected constructor so consumers and tests can fake it.
/// </summary>
public abstract class InferenceService
{
    /// <summary>For implementations and test doubles.</summary>
    protected InferenceService()
    {
    }

    /// <summary>True while the server can answer at all (the protocol's live check).</summary>
    public abstract bool IsLive { get; }

    /// <summary>True when every configured model is ready (the protocol's ready check).</summary>
    public abstract bool IsReady { get; }

    /// <summary>The server's name, version and extensions.</summary>
    public abstract ServerMetadata Metadata { get; }

    /// <summary>The metadata of a model (a version, or the one served by default when null).</summary>
    /// <exception cref="InferenceException"><see cref="InferenceErrorKind.ModelNotFound"/> for an unknown model or version.</exception>
    public abstract ValueTask<ModelMetadata> GetModelMetadataAsync(string model, string? version, CancellationToken cancellationToken = default);

    /// <summary>True if the model (a version, or the default when null) is loaded and answering.</summary>
    /// <exception cref="InferenceException"><see cref="InferenceErrorKind.ModelNotFound"/> for an unknown model or version.</exception>
    public abstract ValueTask<bool> IsModelReadyAsync(string model, string? version, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs an inference: validates the request against the model's inputs (each request alone, before it joins a
    /// batch), routes it (traffic experiments), batches it with others, and returns this request's own rows.
    /// </summary>
    /// <param name="model">A model or experiment name.</param>
    /// <param name="version">A version, or null for the one served by default.</param>
    /// <param name="request">The request.</param>
    /// <param name="context">Per-call routing facts to and from the front end (sticky routing), or null.</param>
    /// <param name="cancellationToken">Cancels the call (a client that went away, or the front end's request timeout).</param>
    /// <exception cref="InferenceException">Every failure, with its kind.</exception>
    public abstract ValueTask<InferenceResponse> InferAsync(string model, string? version, InferenceRequest request, InferenceCallContext? context = null, CancellationToken cancellationToken = default);

    /// <summary>The model repository index: every model the server knows, with state and reason (only ready ones when asked).</summary>
    public abstract ValueTask<IReadOnlyList<RepositoryModel>> GetRepositoryIndexAsync(bool readyOnly = false, CancellationToken cancellationToken = default);

    /// <summary>Loads (or reloads, re-resolving an alias) a model by name; returns when it is ready.</summary>
    /// <exception cref="InferenceException"><see cref="InferenceErrorKind.ModelNotFound"/> for a name not configured; <see cref="InferenceErrorKind.ModelFailed"/> with the reason if the load fails.</exception>
    public abstract ValueTask LoadModelAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>Unloads a model: new requests get 503, requests in flight finish, then it is disposed.</summary>
    /// <exception cref="InferenceException"><see cref="InferenceErrorKind.ModelNotFound"/> for an unknown model.</exception>
    public abstract ValueTask UnloadModelAsync(string model, CancellationToken cancellationToken = default);
}

/// <summary>
/// Facts a front end passes with one call and gets back: the sticky route the client sent (from the
/// <see cref="RouteHeader"/> header) and the route the service chose, which the front end returns in the same header.
/// </summary>
public sealed class InferenceCallContext
{
    /// <summary>The HTTP header (and gRPC metadata key) that carries the sticky route.</summary>
    public const string RouteHeader = "x-mlops-route";

    /// <summary>The route the client sent back from an earlier response, or null.</summary>
    public string? RequestedRoute { get; init; }

    /// <summary>Set by the service: the route (experiment candidate) that answered, for the client to send back.</summary>
    public string? Route { get; set; }
}
