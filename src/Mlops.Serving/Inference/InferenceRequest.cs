namespace Mlops.Serving.Inference;

/// <summary>An inference request (the protocol's <c>$inference_request</c>): inputs, requested outputs, parameters and an id to echo.</summary>
public sealed class InferenceRequest
{
    /// <summary>Creates a request.</summary>
    public InferenceRequest(IReadOnlyList<InferenceTensor> inputs, string? id = null, IReadOnlyList<RequestedOutput>? outputs = null, IReadOnlyDictionary<string, object?>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Inputs = inputs;
        Id = id;
        Outputs = outputs;
        Parameters = parameters;
    }

    /// <summary>The request's id, echoed in the response; null if the client sent none.</summary>
    public string? Id { get; }

    /// <summary>The input tensors.</summary>
    public IReadOnlyList<InferenceTensor> Inputs { get; }

    /// <summary>The outputs the client asked for, or null for all of the model's outputs.</summary>
    public IReadOnlyList<RequestedOutput>? Outputs { get; }

    /// <summary>The request's parameters (bool, long, double or string values), or null.</summary>
    public IReadOnlyDictionary<string, object?>? Parameters { get; }
}

/// <summary>An output the client asks for (the protocol's <c>$request_output</c>), with its parameters (such as <c>binary_data</c>).</summary>
/// <param name="Name">The output's name.</param>
/// <param name="Parameters">Its parameters, or null.</param>
public sealed record RequestedOutput(string Name, IReadOnlyDictionary<string, object?>? Parameters = null);
