using static TorchSharp.torch;

namespace Mlops.Training.Distributed;

/// <summary>One replica on its own: every collective is the identity.</summary>
internal sealed class LocalReplicaContext : IReplicaContext
{
    /// <summary>Creates the context for a device.</summary>
    public LocalReplicaContext(Device device)
    {
        Device = device;
    }

    public int ReplicaId => 0;

    public int NumReplicas => 1;

    public bool IsChief => true;

    public Device Device { get; }

    public void BroadcastParameters(Tensor flatParameters, CancellationToken cancellationToken) => cancellationToken.ThrowIfCancellationRequested();

    public void AllReduceSum(Tensor flat, CancellationToken cancellationToken) => cancellationToken.ThrowIfCancellationRequested();

    public void AllReduceSum(Span<double> values, CancellationToken cancellationToken) => cancellationToken.ThrowIfCancellationRequested();

    public void Barrier(CancellationToken cancellationToken) => cancellationToken.ThrowIfCancellationRequested();

    public void AgreeOnErrors(string? localError, string stage, CancellationToken cancellationToken)
    {
        if (localError is not null)
        {
            throw new ReplicaFailedException(0, stage, localError);
        }
    }
}
