using System.ComponentModel.DataAnnotations;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// Settings of the collectives: the backend, timeouts, ring tuning and native library paths. Apps using collectives
/// without the trainer bind them from <c>Mlops:Distributed</c> (<c>AddDistributed</c>); the trainer reads the same class
/// from <c>Mlops:Training:Collectives</c> (its options' <c>Collectives</c> property). Checked by
/// <see cref="CollectiveOptionsValidator"/> when the host starts, and by the factories for options built in code. The
/// cluster itself (rank, world size, rank 0's address) comes from the environment or a <see cref="Cluster.ClusterSpec"/>.
/// </summary>
public sealed class CollectiveOptions
{
    /// <summary>The configuration section under <c>Mlops</c>: <c>Distributed</c> (<c>Mlops:Distributed</c>).</summary>
    public const string SectionName = "Distributed";

    /// <summary>
    /// The collective backend. Default <see cref="CollectiveBackend.Auto"/>: NCCL when the buffers are in CUDA memory,
    /// otherwise the ring (see <see cref="CollectiveCommunicatorFactory.Choose"/>).
    /// </summary>
    public CollectiveBackend Backend { get; set; } = CollectiveBackend.Auto;

    /// <summary>
    /// The longest a collective waits without progress from a peer before it fails with an error naming that peer
    /// (a watchdog: progressing transfers are never cut). Default 60 s; PyTorch's default is 10–30 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan CollectiveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long ranks wait for each other (and for rank 0's store) when the job starts. Default 120 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Size of the pieces the ring pipelines (bytes, a multiple of 8). Default 256 KiB.</summary>
    [Range(4096, 64 << 20)]
    public int PieceBytes { get; set; } = 256 << 10;

    /// <summary>
    /// All-reduce works through larger buffers in segments of this many bytes (a multiple of 8), each reduced and
    /// gathered around the ring before the next, so a segment is still in cache for its second pass (as NCCL's slices).
    /// Default 2 MiB: on the development box a 64 MB all-reduce between two ranks took 17–20 ms this way, 22–26 ms in one pass.
    /// </summary>
    [Range(4096, int.MaxValue)]
    public int SegmentBytes { get; set; } = 2 << 20;

    /// <summary>
    /// All-reduces whose buffers, all ranks' together, come to at most this many bytes take the latency path: every
    /// buffer goes round the ring and each rank reduces the n buffers in rank order (n − 1 ring steps instead of the
    /// 2(n − 1) of reduce-scatter and all-gather; every rank still gets the same bits). Default 64 KiB (2 ranks: 4 KB in
    /// 3.8 µs instead of 5.1 µs over shared memory); 0 turns it off.
    /// </summary>
    [Range(0, 16 << 20)]
    public int SmallAllReduceBytes { get; set; } = 64 << 10;

    /// <summary>
    /// Collectives up to this many bytes send from the calling thread (lowest latency); larger ones use a sender thread
    /// so sends overlap receives. Default 32 KiB; must stay well below the kernel's socket buffers.
    /// </summary>
    [Range(0, 1 << 20)]
    public int InlineBytes { get; set; } = 32 << 10;

    /// <summary>
    /// Whether ranks on the same host move the ring's bytes through shared memory (<c>/dev/shm</c>, Linux) instead of
    /// TCP loopback, as MPICH and NCCL do; TCP still joins the ranks and tells them when a neighbour dies. Ranks on
    /// other hosts, and platforms without it, use TCP. Default true.
    /// </summary>
    public bool SharedMemory { get; set; } = true;

    /// <summary>The address rank 0's store listens on; default: loopback when MASTER_ADDR is a loopback address, else every interface.</summary>
    public string? ListenAddress { get; set; }

    /// <summary>Path of <c>libnccl.so.2</c>; default: <c>NCCL_LIB</c>, then the usual places (see the README).</summary>
    public string? NcclLibraryPath { get; set; }

    /// <summary>Path of the CUDA runtime (<c>libcudart.so.*</c>); default: <c>CUDART_LIB</c>, then the usual places.</summary>
    public string? CudaRuntimePath { get; set; }
}
