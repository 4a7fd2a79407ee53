using System.ComponentModel.DataAnnotations;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;

namespace Mlops.Training.Distributed;

/// <summary>
/// Settings of the trainer's <see cref="MultiWorkerMirroredStrategy"/>, bound from <c>Mlops:Training</c> by
/// <c>AddTraining</c> (<c>Mlops:Training:Device</c>, <c>Mlops:Training:BucketBytes</c>, ...) with the collectives' settings
/// nested under <c>Mlops:Training:Collectives</c> (<c>...:Collectives:Backend</c>, <c>...:Collectives:CollectiveTimeout</c>),
/// checked by <see cref="MultiWorkerMirroredStrategyOptionsValidator"/>. The cluster itself (rank, world size, rank 0's
/// address) comes from the environment or a <see cref="ClusterSpec"/>.
/// </summary>
public sealed class MultiWorkerMirroredStrategyOptions
{
    /// <summary>The configuration section under <c>Mlops</c>: <c>Training</c> (<c>Mlops:Training</c>).</summary>
    public const string SectionName = "Training";

    /// <summary>The default bucket size: 25 MiB, PyTorch DistributedDataParallel's <c>bucket_cap_mb</c>.</summary>
    public const int DefaultBucketBytes = 25 << 20;

    /// <summary>The device to train on. Default <see cref="TrainingDevice.Auto"/>: <c>cuda:{LOCAL_RANK}</c> when CUDA is available, else the CPU.</summary>
    public TrainingDevice Device { get; set; } = TrainingDevice.Auto;

    /// <summary>
    /// The largest piece of a flat buffer reduced or broadcast in one collective, in bytes. Default 25 MiB
    /// (<see cref="DefaultBucketBytes"/>); smaller buckets bound the memory a collective pins, larger ones need fewer calls.
    /// </summary>
    [Range(1024, int.MaxValue)]
    public int BucketBytes { get; set; } = DefaultBucketBytes;

    /// <summary>
    /// When set, the strategy seeds torch's CPU and CUDA generators with this value as it starts, identically on every
    /// worker (see <see cref="MultiWorkerMirroredStrategy.Seed(int)"/>), so models build the same everywhere.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>
    /// A folder holding an installed libtorch (for example <c>&lt;python&gt;/site-packages/torch/lib</c> with CUDA), used
    /// when the application references no libtorch package with the wanted device; null: <c>MLOPS_LIBTORCH_DIR</c>, then
    /// the package copied next to the application. Passed to <see cref="Runtime.TorchRuntime.EnsureInitialized"/>.
    /// </summary>
    public string? LibTorchDirectory { get; set; }

    /// <summary>
    /// Threads each worker's torch operators use on the CPU. Null: when <c>OMP_NUM_THREADS</c> is not set and several
    /// workers share the host (<c>LOCAL_WORLD_SIZE</c> &gt; 1), the cores are divided among them (at least 1 each);
    /// otherwise libtorch's own default. Without this, N workers each starting one spinning OpenMP thread per core
    /// oversubscribe the host: measured with 2 workers on 2 cores, 40 ms per step instead of 1 ms.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? IntraOpThreads { get; set; }

    /// <summary>
    /// The collectives' settings: the backend (<see cref="CollectiveOptions.Backend"/>, default
    /// <see cref="CollectiveBackend.Auto"/>: NCCL on CUDA, the ring on the CPU), timeouts, ring tuning, NCCL and CUDA
    /// runtime paths. The same class <c>AddDistributed</c> binds from <c>Mlops:Distributed</c>.
    /// </summary>
    public CollectiveOptions Collectives { get; set; } = new();
}
