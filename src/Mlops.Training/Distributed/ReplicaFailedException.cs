namespace Mlops.Training.Distributed;

/// <summary>A replica found a problem (bad input, a NaN loss); every replica of the job throws this same error.</summary>
public sealed class ReplicaFailedException : MlopsException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="replica">The first replica (rank) that reported the problem.</param>
    /// <param name="stage">What was being done.</param>
    /// <param name="detail">The replica's message.</param>
    public ReplicaFailedException(int replica, string stage, string detail)
        : base($"rank {replica}, {stage}: {detail}")
    {
        Replica = replica;
        Stage = stage;
        Detail = detail;
    }

    /// <summary>The first replica (rank) that reported the problem.</summary>
    public int Replica { get; }

    /// <summary>What was being done.</summary>
    public string Stage { get; }

    /// <summary>The replica's own message.</summary>
    public string Detail { get; }
}
