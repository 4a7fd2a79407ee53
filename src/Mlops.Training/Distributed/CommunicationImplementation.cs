namespace Mlops.Training.Distributed;

/// <summary>How a <see cref="MultiWorkerMirroredStrategy"/> combines tensors across workers (TensorFlow's <c>CommunicationImplementation</c>).</summary>
public enum CommunicationImplementation
{
    /// <summary>NCCL when the strategy trains on CUDA, otherwise the TCP ring.</summary>
    Auto = 0,

    /// <summary>The ring all-reduce over TCP on host memory (CPU tensors).</summary>
    Ring = 1,

    /// <summary>NVIDIA NCCL on device memory (CUDA tensors, one GPU per worker).</summary>
    Nccl = 2,
}
