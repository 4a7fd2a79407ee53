namespace Mlops.Serving.Inference;

/// <summary>
/// Completes a request before the model sees it, such as with online features looked up by the entity ids the request
/// carries. Every enricher registered in the container runs, in registration order, before the request is validated
/// against the model's inputs; one that throws an <see cref="InferenceException"/> fails the request with its kind.
/// </summary>
public interface IInferenceRequestEnricher
{
    /// <summary>Returns the request to run (the same one when there is nothing to add).</summary>
    /// <param name="model">The served model that will run it (for a traffic experiment, the candidate chosen).</param>
    /// <param name="request">The request as the client sent it, or as the enricher before this one returned it.</param>
    /// <param name="cancellationToken">Cancels with the request.</param>
    ValueTask<InferenceRequest> EnrichAsync(string model, InferenceRequest request, CancellationToken cancellationToken);
}
