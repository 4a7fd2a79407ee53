namespace Mlops.Distributed.Collectives;

/// <summary>The collective operations.</summary>
public enum CollectiveKind : byte
{
    /// <summary>Every rank ends with the reduction of all ranks' buffers.</summary>
    AllReduce = 1,

    /// <summary>Every rank ends with the root's buffer.</summary>
    Broadcast = 2,

    /// <summary>Every rank ends with all ranks' buffers, concatenated in rank order.</summary>
    AllGather = 3,

    /// <summary>Rank r ends with block r of the reduction.</summary>
    ReduceScatter = 4,

    /// <summary>No rank leaves before every rank arrived.</summary>
    Barrier = 5,
}
