namespace Mlops.Distributed.Collectives;

/// <summary>The collective implementations.</summary>
public enum CollectiveBackend
{
    /// <summary>Ring all-reduce over TCP on host memory: the embedded default, no native dependency.</summary>
    TcpRing = 0,

    /// <summary>NVIDIA NCCL on device memory (one GPU per rank, chosen by local rank).</summary>
    Nccl = 1,
}
