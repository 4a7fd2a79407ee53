namespace Mlops.Serving.Inference;

/// <summary>An inference response (the protocol's <c>$inference_response</c>).</summary>
public sealed class InferenceResponse
{
    /// <summary>Creates a response.</summary>
    public InferenceResponse(string modelName, string? modelVersion, IReadOnlyList<InferenceTensor> outputs, string? id = null, IReadOnlyDictionary<string, object?>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(outputs);
        ModelName = modelName;
        ModelVersion = modelVersion;
        Outputs = outputs;
        Id = id;
        Parameters = parameters;
    }

    /// <summary>The model that answered (for a traffic experiment, the candidate that was chosen).</summary>
    public string ModelName { get; }

    /// <summary>The version that answered, or null.</summary>
    public string? ModelVersion { get; }

    /// <summary>The request's id, echoed.</summary>
    public string? Id { get; }

    /// <summary>The output tensors (the requested ones, or all).</summary>
    public IReadOnlyList<InferenceTensor> Outputs { get; }

    /// <summary>The response's parameters, or null.</summary>
    public IReadOnlyDictionary<string, object?>? Parameters { get; }
}
