using System.ComponentModel.DataAnnotations;

namespace Mlops.Training.Distributed;

/// <summary>
/// Settings of a <see cref="MultiWorkerMirroredStrategy"/>. Hosts bind them from <c>Mlops:Training:Strategy</c> and the
/// collective settings (<see cref="Collectives"/>) from <c>Mlops:Training</c>, the section the distributed layer reads
/// (see <c>AddMlopsTraining</c>). The cluster itself (rank, world size, rank 0's address) comes from the environment or a
/// <see cref="Cluster.ClusterSpec"/>.
/// </summary>
public sealed class MultiWorkerMirroredStrategyOptions
{
    /// <summary>The configuration section of these options: <c>Mlops:Training:Strategy</c>.</summary>
    public const string SectionName = "Mlops:Training:Strategy";

    /// <summary>The default bucket size: 25 MiB, PyTorch DistributedDataParallel's <c>bucket_cap_mb</c>.</summary>
    public const int DefaultBucketBytes = 25 << 20;

    /// <summary>How tensors are combined across workers. Default <see cref="CommunicationImplementation.Auto"/>: NCCL on CUDA, the TCP ring on the CPU.</summary>
    public CommunicationImplementation Communication { get; set; } = CommunicationImplementation.Auto;

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
    public int? IntraOpThreads { get; set; }

    /// <summary>The collectives' settings: timeouts, NCCL and CUDA runtime paths, ring tuning.</summary>
    public DistributedTrainingOptions Collectives { get; set; } = new();

    /// <summary>Checks every value, the collectives' included.</summary>
    /// <returns>The problems found, empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Communication))
        {
            errors.Add($"{nameof(Communication)} '{Communication}' is not one of Auto, Ring, Nccl.");
        }

        if (!Enum.IsDefined(Device))
        {
            errors.Add($"{nameof(Device)} '{Device}' is not one of Auto, Cpu, Cuda.");
        }

        if (Communication == CommunicationImplementation.Nccl && Device == TrainingDevice.Cpu)
        {
            errors.Add($"{nameof(Communication)} Nccl reduces CUDA tensors but {nameof(Device)} is Cpu; use Device Cuda (or Auto), or Communication Ring.");
        }

        if (IntraOpThreads is < 1)
        {
            errors.Add($"{nameof(IntraOpThreads)} must be at least 1 when set, not {IntraOpThreads}.");
        }

        if (BucketBytes < 1024)
        {
            errors.Add($"{nameof(BucketBytes)} must be at least 1024, not {BucketBytes}.");
        }

        if (Collectives is null)
        {
            errors.Add($"{nameof(Collectives)} must not be null.");
            return errors;
        }

        var results = new List<ValidationResult>();
        Validator.TryValidateObject(Collectives, new ValidationContext(Collectives), results, validateAllProperties: true);
        errors.AddRange(results.Select(r => $"{nameof(Collectives)}: {r.ErrorMessage}"));
        errors.AddRange(Collectives.Validate().Select(e => $"{nameof(Collectives)}: {e}"));
        return errors;
    }
}
