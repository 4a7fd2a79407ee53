namespace Mlops.Distributed.Collectives;

/// <summary>
/// The collective implementation (TensorFlow's <c>CommunicationImplementation</c>), set by
/// <see cref="CollectiveOptions.Backend"/> and resolved in one place, <see cref="CollectiveCommunicatorFactory.Choose"/>.
/// </summary>
public enum CollectiveBackend
{
    /// <summary>NCCL when the buffers are in CUDA device memory (the trainer on a GPU), otherwise the ring.</summary>
    Auto = 0,

    /// <summary>Ring collectives on host memory, over shared memory between ranks of one host and TCP between hosts; no native dependency.</summary>
    Ring = 1,

    /// <summary>NVIDIA NCCL on device memory (one GPU per rank, chosen by local rank).</summary>
    Nccl = 2,
}
