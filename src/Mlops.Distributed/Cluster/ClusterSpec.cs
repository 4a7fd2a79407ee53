namespace Mlops.Distributed.Cluster;

/// <summary>
/// Who this process is in a training job: its rank among <see cref="WorldSize"/> processes, its place on its host, where
/// rank 0 hosts the rendezvous store, and the job's restart generation. Immutable; read one with
/// <see cref="ClusterSpecReader.FromEnvironment()"/> or build one in code.
/// </summary>
public sealed class ClusterSpec
{
    /// <summary>Creates and validates a spec.</summary>
    /// <param name="rank">This process's rank, 0 to <paramref name="worldSize"/> − 1.</param>
    /// <param name="worldSize">The number of processes in the job, at least 1.</param>
    /// <param name="masterAddress">Host name or IP address of rank 0, which hosts the rendezvous store.</param>
    /// <param name="masterPort">TCP port of the rendezvous store on rank 0, 1 to 65535.</param>
    /// <param name="localRank">The rank among the processes on this host (selects the GPU).</param>
    /// <param name="localWorldSize">The number of processes on this host.</param>
    /// <param name="generation">The restart generation: a restarted job uses a new one so it never mixes with the old processes.</param>
    /// <param name="source">Where the settings came from.</param>
    /// <exception cref="ClusterConfigurationException">A value is out of range.</exception>
    public ClusterSpec(int rank, int worldSize, string masterAddress, int masterPort, int localRank = 0, int localWorldSize = 1, long generation = 0, ClusterSpecSource source = ClusterSpecSource.Explicit)
    {
        if (worldSize < 1)
        {
            throw new ClusterConfigurationException(nameof(worldSize), $"the world size must be at least 1, not {worldSize}.");
        }

        if (rank < 0 || rank >= worldSize)
        {
            throw new ClusterConfigurationException(nameof(rank), $"rank {rank} is outside 0..{worldSize - 1} for a world size of {worldSize}.");
        }

        if (localWorldSize < 1 || localWorldSize > worldSize)
        {
            throw new ClusterConfigurationException(nameof(localWorldSize), $"the local world size must be between 1 and the world size {worldSize}, not {localWorldSize}.");
        }

        if (localRank < 0 || localRank >= localWorldSize)
        {
            throw new ClusterConfigurationException(nameof(localRank), $"local rank {localRank} is outside 0..{localWorldSize - 1} for a local world size of {localWorldSize}.");
        }

        if (string.IsNullOrWhiteSpace(masterAddress))
        {
            throw new ClusterConfigurationException(nameof(masterAddress), "the address of rank 0 is empty.");
        }

        if (masterPort is < 1 or > 65535)
        {
            throw new ClusterConfigurationException(nameof(masterPort), $"the port must be between 1 and 65535, not {masterPort}.");
        }

        if (generation < 0)
        {
            throw new ClusterConfigurationException(nameof(generation), $"the generation must not be negative, not {generation}.");
        }

        Rank = rank;
        WorldSize = worldSize;
        MasterAddress = masterAddress;
        MasterPort = masterPort;
        LocalRank = localRank;
        LocalWorldSize = localWorldSize;
        Generation = generation;
        Source = source;
    }

    /// <summary>This process's rank, 0 to <see cref="WorldSize"/> − 1. Rank 0 is TensorFlow's chief.</summary>
    public int Rank { get; }

    /// <summary>The number of processes in the job.</summary>
    public int WorldSize { get; }

    /// <summary>The rank among the processes on this host; selects the GPU.</summary>
    public int LocalRank { get; }

    /// <summary>The number of processes on this host.</summary>
    public int LocalWorldSize { get; }

    /// <summary>Host name or IP address of rank 0, which hosts the rendezvous store.</summary>
    public string MasterAddress { get; }

    /// <summary>TCP port of the rendezvous store.</summary>
    public int MasterPort { get; }

    /// <summary>The restart generation; processes of different generations refuse to talk to each other.</summary>
    public long Generation { get; }

    /// <summary>Where the settings came from.</summary>
    public ClusterSpecSource Source { get; }

    /// <summary>
    /// Whether the launcher hosts the rendezvous store at <see cref="MasterAddress"/>:<see cref="MasterPort"/> (torchrun's
    /// <c>TORCHELASTIC_USE_AGENT_STORE=True</c>; the Mlops launcher does the same), so rank 0 connects to it rather than
    /// hosting one. The launcher binds the port before any worker starts, so no worker can lose it to another process.
    /// </summary>
    public bool LauncherHostsStore { get; init; }

    /// <summary>Whether this process is rank 0 (TensorFlow's chief: the one that writes checkpoints and the model).</summary>
    public bool IsChief => Rank == 0;

    /// <summary>A single-process spec (rank 0 of 1) on the loopback address.</summary>
    /// <param name="port">The port the rendezvous store would use; unused by a one-process job.</param>
    /// <returns>The spec.</returns>
    public static ClusterSpec SingleProcess(int port = 29500) => new(0, 1, "127.0.0.1", port, source: ClusterSpecSource.SingleProcess);

    /// <summary>Returns a copy with another generation (the launcher's restarts).</summary>
    /// <param name="generation">The new generation.</param>
    /// <returns>The copy.</returns>
    public ClusterSpec WithGeneration(long generation) => new(Rank, WorldSize, MasterAddress, MasterPort, LocalRank, LocalWorldSize, generation, Source) { LauncherHostsStore = LauncherHostsStore };

    /// <inheritdoc />
    public override string ToString() =>
        $"rank {Rank}/{WorldSize} (local {LocalRank}/{LocalWorldSize}), rendezvous {MasterAddress}:{MasterPort}, generation {Generation}, from {Source}";
}
