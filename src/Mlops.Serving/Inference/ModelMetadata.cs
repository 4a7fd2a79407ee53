namespace Mlops.Serving.Inference;

/// <summary>A tensor a model takes or gives (the protocol's <c>$metadata_tensor</c>): -1 marks a variable dimension.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Datatype">Its element type.</param>
/// <param name="Shape">Its shape, -1 for a variable dimension (the batch, usually).</param>
public sealed record TensorMetadata(string Name, TensorDataType Datatype, IReadOnlyList<long> Shape);

/// <summary>What the server says of a model (the protocol's <c>$metadata_model_response</c>).</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Versions">The versions the server can serve under that name.</param>
/// <param name="Platform">The framework, such as <c>torchsharp</c>, <c>onnxruntime_onnx</c> or <c>mlnet</c>.</param>
/// <param name="Inputs">The inputs.</param>
/// <param name="Outputs">The outputs.</param>
public sealed record ModelMetadata(string Name, IReadOnlyList<string> Versions, string Platform, IReadOnlyList<TensorMetadata> Inputs, IReadOnlyList<TensorMetadata> Outputs);

/// <summary>What the server says of itself (the protocol's <c>$metadata_server_response</c>).</summary>
/// <param name="Name">The server's name.</param>
/// <param name="Version">The server's version.</param>
/// <param name="Extensions">The protocol extensions it supports, such as <c>binary_tensor_data</c> and <c>model_repository</c>.</param>
public sealed record ServerMetadata(string Name, string Version, IReadOnlyList<string> Extensions);

/// <summary>The state of a model in the repository index (the model repository extension's states).</summary>
public enum ModelState
{
    /// <summary>Not loaded, or its last load failed (see the reason).</summary>
    Unavailable,

    /// <summary>Being loaded.</summary>
    Loading,

    /// <summary>Loaded and answering.</summary>
    Ready,

    /// <summary>Being unloaded.</summary>
    Unloading,
}

/// <summary>One entry of the model repository index.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Version">The version loaded (or being loaded), or null.</param>
/// <param name="State">Its state.</param>
/// <param name="Reason">Why it is not ready (such as the error of a failed load), or null.</param>
public sealed record RepositoryModel(string Name, string? Version, ModelState State, string? Reason);
