using static TorchSharp.torch;

namespace Mlops.Training.Data;

/// <summary>Who is reading a dataset: this replica's index among the replicas in sync and the element type wanted.</summary>
/// <param name="ReplicaId">This replica's index (the worker's rank), 0-based.</param>
/// <param name="NumReplicas">Replicas reading the dataset together; the global batch is split among them.</param>
/// <param name="ElementType">The floating type of feature and label tensors (float32 unless a model asks for float64).</param>
public sealed record DataReadContext(int ReplicaId, int NumReplicas, ScalarType ElementType = ScalarType.Float32)
{
    /// <summary>A single replica reading float32.</summary>
    public static DataReadContext Single { get; } = new(0, 1);
}
