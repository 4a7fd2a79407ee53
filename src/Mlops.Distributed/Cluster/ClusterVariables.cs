namespace Mlops.Distributed.Cluster;

/// <summary>The names of the environment variables the cluster spec is read from (and the launcher sets).</summary>
public static class ClusterVariables
{
    /// <summary>TensorFlow's cluster description (JSON with <c>cluster</c> and <c>task</c>).</summary>
    public const string TfConfig = "TF_CONFIG";

    /// <summary>torchrun: the global rank.</summary>
    public const string Rank = "RANK";

    /// <summary>torchrun: the number of processes.</summary>
    public const string WorldSize = "WORLD_SIZE";

    /// <summary>torchrun: the rank on this host.</summary>
    public const string LocalRank = "LOCAL_RANK";

    /// <summary>torchrun: the number of processes on this host.</summary>
    public const string LocalWorldSize = "LOCAL_WORLD_SIZE";

    /// <summary>torchrun: rank 0's address.</summary>
    public const string MasterAddress = "MASTER_ADDR";

    /// <summary>torchrun: rank 0's rendezvous port.</summary>
    public const string MasterPort = "MASTER_PORT";

    /// <summary>The Mlops launcher's restart generation.</summary>
    public const string Generation = "MLOPS_RENDEZVOUS_GENERATION";

    /// <summary>
    /// torchrun's flag ("True"/"False") saying that the launcher (its agent) hosts the rendezvous store at
    /// <see cref="MasterAddress"/>:<see cref="MasterPort"/>, so rank 0 connects to it instead of hosting one.
    /// </summary>
    public const string UseAgentStore = "TORCHELASTIC_USE_AGENT_STORE";

    /// <summary>torchelastic's restart count, used as the generation when <see cref="Generation"/> is absent.</summary>
    public const string TorchElasticRestartCount = "TORCHELASTIC_RESTART_COUNT";
}
