namespace Mlops.Distributed.Cluster;

/// <summary>Where a <see cref="ClusterSpec"/> came from.</summary>
public enum ClusterSpecSource
{
    /// <summary>Built in code or from options.</summary>
    Explicit,

    /// <summary>TensorFlow's <c>TF_CONFIG</c> (Kubeflow TFJob, MultiWorkerMirroredStrategy).</summary>
    TfConfig,

    /// <summary>torchrun's variables <c>RANK</c>, <c>WORLD_SIZE</c>, <c>MASTER_ADDR</c>, <c>MASTER_PORT</c> (Kubeflow PyTorchJob, the Mlops launcher).</summary>
    Torchrun,

    /// <summary>No settings found: a single process, rank 0 of 1.</summary>
    SingleProcess,
}
