using Mlops.Training.Data.Sources;

namespace Mlops.Training.Data.Pipeline;

/// <summary>
/// What one replica reads: the shard policy in effect, the units it streams, the rows of each stream chunk and which
/// part of a chunk is its own, and the geometry of a pass (where the windows cut it and how many batches it has).
/// </summary>
internal sealed class ShardPlan
{
    private ShardPlan(AutoShardPolicy policy, int replica, int replicas, int chunkSize, (int Unit, int Rows)[] view, PassGeometry geometry)
    {
        Policy = policy;
        Replica = replica;
        Replicas = replicas;
        ChunkSize = chunkSize;
        View = view;
        Geometry = geometry;
    }

    /// <summary>The policy in effect: <see cref="AutoShardPolicy.Data"/> (also for a single replica), <see cref="AutoShardPolicy.File"/> or <see cref="AutoShardPolicy.Off"/>.</summary>
    public AutoShardPolicy Policy { get; }

    public int Replica { get; }

    public int Replicas { get; }

    /// <summary>Rows of the record stream per batch: the global batch under record sharding, B / N otherwise.</summary>
    public int ChunkSize { get; }

    /// <summary>The units this replica streams, in natural order.</summary>
    public (int Unit, int Rows)[] View { get; }

    public PassGeometry Geometry { get; }

    /// <summary>The replica mixed into shuffle seeds: each replica shuffles its own files under file sharding; all share one order otherwise.</summary>
    public int SeedReplica => Policy == AutoShardPolicy.File ? Replica : 0;

    /// <summary>Plans reading for replica <paramref name="replica"/> of <paramref name="replicas"/>.</summary>
    /// <exception cref="ArgumentException">The global batch is not divisible by the replicas, or file sharding has fewer files than replicas.</exception>
    public static ShardPlan Create(RecordSource source, PipelineSpec spec, int batchSize, int replica, int replicas)
    {
        if (batchSize % replicas != 0)
        {
            throw new ArgumentException(
                $"The global batch size {batchSize} is not divisible by the {replicas} replicas. Like TensorFlow's MultiWorkerMirroredStrategy, every replica takes B / N = {batchSize}/{replicas} rows of each global batch: use a global batch size that is a multiple of {replicas} (for example {(batchSize / replicas + 1) * replicas}).",
                nameof(batchSize));
        }

        var policy = Resolve(source, spec.Options.AutoShardPolicy, replicas);
        var units = source.Units;
        var view = new List<(int Unit, int Rows)>(units.Count);
        for (var u = 0; u < units.Count; u++)
        {
            if (policy != AutoShardPolicy.File || units[u].File % replicas == replica)
            {
                view.Add((u, units[u].Rows));
            }
        }

        var chunk = policy == AutoShardPolicy.Data ? batchSize : batchSize / replicas;
        var rows = view.Sum(unit => (long)unit.Rows);
        return new ShardPlan(policy, replica, replicas, chunk, [.. view], PassGeometry.Compute(rows, spec, chunk));
    }

    /// <summary>The policy in effect for <paramref name="replicas"/> replicas, by TensorFlow's rules.</summary>
    public static AutoShardPolicy Resolve(RecordSource source, AutoShardPolicy requested, int replicas)
    {
        if (replicas == 1)
        {
            // One reader: every policy reads everything in global batches.
            return AutoShardPolicy.Data;
        }

        switch (requested)
        {
            case AutoShardPolicy.Auto:
                return source.FileCount >= replicas ? AutoShardPolicy.File : AutoShardPolicy.Data;
            case AutoShardPolicy.File when source.FileCount < replicas:
                throw new ArgumentException(
                    source.FileCount == 0
                        ? $"AutoShardPolicy.File needs files to divide among the {replicas} replicas, but the dataset reads {source.Description}. Use AutoShardPolicy.Data (or Auto)."
                        : $"AutoShardPolicy.File needs at least as many files as replicas, but {source.Description} has {source.FileCount} file(s) for {replicas} replicas. Write more part files (for example with ParquetWriteOptions.MaxRowsPerFile) or use AutoShardPolicy.Data (or Auto).");
            default:
                return requested;
        }
    }

    /// <summary>This replica's part of a chunk of <paramref name="chunkLength"/> rows: all of it, or under record sharding a contiguous slice, as even as possible at the uneven end.</summary>
    public (int Offset, int Count) Slice(int chunkLength)
    {
        if (Policy != AutoShardPolicy.Data || Replicas == 1)
        {
            return (0, chunkLength);
        }

        var share = chunkLength / Replicas;
        var extra = chunkLength % Replicas;
        var count = share + (Replica < extra ? 1 : 0);
        var offset = (Replica * share) + Math.Min(Replica, extra);
        return (offset, count);
    }

    /// <summary>Rows of the global batch a chunk of <paramref name="chunkLength"/> rows belongs to, or -1 when only the trainer can know.</summary>
    public long GlobalCount(int chunkLength) => Policy switch
    {
        AutoShardPolicy.File => -1,
        AutoShardPolicy.Off => (long)chunkLength * Replicas,
        _ => chunkLength,
    };
}

/// <summary>Where the windows cut a pass of one view, and the batches that are left.</summary>
/// <param name="SourceFirst">Records of the natural order skipped (source window).</param>
/// <param name="SourceLength">Records of the natural order kept.</param>
/// <param name="StreamFirst">Records of the (shuffled) stream skipped (stream window).</param>
/// <param name="StreamLength">Records of the stream kept.</param>
/// <param name="BatchFirst">Batches skipped (batch window).</param>
/// <param name="Batches">Batches read per pass.</param>
internal readonly record struct PassGeometry(long SourceFirst, long SourceLength, long StreamFirst, long StreamLength, long BatchFirst, long Batches)
{
    /// <summary>The geometry of a pass over <paramref name="rows"/> records read in chunks of <paramref name="chunkSize"/>.</summary>
    public static PassGeometry Compute(long rows, PipelineSpec spec, int chunkSize)
    {
        var (sourceFirst, sourceLength) = spec.SourceWindow.Clip(rows);
        var (streamFirst, streamLength) = spec.StreamWindow.Clip(sourceLength);
        var chunks = (streamLength / chunkSize) + (streamLength % chunkSize != 0 && !spec.DropRemainder ? 1 : 0);
        var (batchFirst, batches) = spec.BatchWindow.Clip(chunks);
        return new PassGeometry(sourceFirst, sourceLength, streamFirst, streamLength, batchFirst, batches);
    }

    /// <summary>Rows of the stream chunk that batch <paramref name="batch"/> of the pass reads.</summary>
    public int ChunkLength(long batch, int chunkSize) => (int)Math.Min(chunkSize, StreamLength - ((BatchFirst + batch) * chunkSize));
}
