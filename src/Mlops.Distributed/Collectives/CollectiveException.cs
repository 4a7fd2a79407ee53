namespace Mlops.Distributed.Collectives;

/// <summary>
/// A collective failed. The communicator is aborted afterwards (as NCCL's is): every later call throws, and the job
/// should stop or restart (the launcher restarts it with a new generation). <see cref="FaultyRank"/> names the rank at
/// fault when it is known.
/// </summary>
public class CollectiveException : MlopsException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, on which rank, and why.</param>
    /// <param name="rank">The rank that throws.</param>
    /// <param name="faultyRank">The rank at fault, if known.</param>
    /// <param name="call">The collective that failed, if any.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CollectiveException(string message, int rank, int? faultyRank, CollectiveCall? call, Exception? innerException = null)
        : base(message, innerException)
    {
        Rank = rank;
        FaultyRank = faultyRank;
        Call = call;
    }

    /// <summary>The rank that throws.</summary>
    public int Rank { get; }

    /// <summary>The rank at fault (crashed, stalled or divergent), if known.</summary>
    public int? FaultyRank { get; }

    /// <summary>The collective that failed, if any.</summary>
    public CollectiveCall? Call { get; }
}

/// <summary>Two ranks called different collectives (or the same with different sizes, types, reductions or roots) at the same point.</summary>
public class CollectiveMismatchException : CollectiveException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Both ranks and both calls.</param>
    /// <param name="rank">The rank that throws.</param>
    /// <param name="faultyRank">One of the two ranks that disagree (the one detected as different).</param>
    /// <param name="call">This rank's call.</param>
    /// <param name="otherRank">The other rank.</param>
    /// <param name="otherCall">The other rank's call, when known on this rank.</param>
    public CollectiveMismatchException(string message, int rank, int? faultyRank, CollectiveCall? call, int? otherRank, CollectiveCall? otherCall)
        : base(message, rank, faultyRank, call)
    {
        OtherRank = otherRank;
        OtherCall = otherCall;
    }

    /// <summary>The other rank of the disagreeing pair, if known.</summary>
    public int? OtherRank { get; }

    /// <summary>The call of the other rank, if known.</summary>
    public CollectiveCall? OtherCall { get; }
}

/// <summary>A collective waited longer than its timeout without progress from a peer, or ranks did not join in time.</summary>
public class CollectiveTimeoutException : CollectiveException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Who was awaited, for how long, in which call.</param>
    /// <param name="rank">The rank that throws.</param>
    /// <param name="faultyRank">The rank that did not answer, if known.</param>
    /// <param name="call">The collective, if any.</param>
    /// <param name="missingRanks">Ranks that never joined, when the timeout happened while connecting.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CollectiveTimeoutException(string message, int rank, int? faultyRank, CollectiveCall? call, IReadOnlyList<int>? missingRanks = null, Exception? innerException = null)
        : base(message, rank, faultyRank, call, innerException)
    {
        MissingRanks = missingRanks ?? [];
    }

    /// <summary>Ranks that never joined (empty when the timeout happened inside a collective).</summary>
    public IReadOnlyList<int> MissingRanks { get; }
}

/// <summary>A peer rank closed its connection or crashed in the middle of the job.</summary>
public class CollectivePeerLostException : CollectiveException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which rank was lost, in which call.</param>
    /// <param name="rank">The rank that throws.</param>
    /// <param name="faultyRank">The rank that was lost.</param>
    /// <param name="call">The collective, if any.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CollectivePeerLostException(string message, int rank, int? faultyRank, CollectiveCall? call, Exception? innerException = null)
        : base(message, rank, faultyRank, call, innerException)
    {
    }
}

/// <summary>The backend cannot run here: NCCL or the CUDA runtime is missing, no GPU is visible, or two ranks share one GPU.</summary>
public class CollectiveBackendUnavailableException : CollectiveException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is missing and how to provide it.</param>
    /// <param name="rank">The rank that throws.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CollectiveBackendUnavailableException(string message, int rank, Exception? innerException = null)
        : base(message, rank, null, null, innerException)
    {
    }
}
