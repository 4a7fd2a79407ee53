using static TorchSharp.torch;

namespace Mlops.Training.Distributed;

/// <summary>
/// What the training loop needs from the replicas it runs with: identity, the device, and the few collectives of
/// synchronous data parallelism. A single process uses <see cref="LocalReplicaContext"/>; a multi-worker job uses
/// <c>MultiWorkerMirroredStrategy</c>. Every method is called by every replica in the same order.
/// </summary>
internal interface IReplicaContext
{
    /// <summary>This replica's index (the worker's rank).</summary>
    int ReplicaId { get; }

    /// <summary>Replicas in sync.</summary>
    int NumReplicas { get; }

    /// <summary>Whether this replica writes the final model, checkpoints and logs.</summary>
    bool IsChief { get; }

    /// <summary>The device this replica trains on.</summary>
    Device Device { get; }

    /// <summary>Makes every replica's flat parameter buffer equal to the chief's, in place.</summary>
    void BroadcastParameters(Tensor flatParameters, CancellationToken cancellationToken);

    /// <summary>Sums a flat buffer (gradients, optionally followed by step statistics) across replicas, in place.</summary>
    void AllReduceSum(Tensor flat, CancellationToken cancellationToken);

    /// <summary>Sums small host values (counts, loss sums, metric states) across replicas, in place.</summary>
    void AllReduceSum(Span<double> values, CancellationToken cancellationToken);

    /// <summary>Returns once every replica has called it.</summary>
    void Barrier(CancellationToken cancellationToken);

    /// <summary>
    /// Every replica states whether it found a problem (null: none). If any did, every replica throws the same
    /// exception naming the first failing replica and its message, so no replica waits for one that gave up.
    /// </summary>
    /// <param name="localError">This replica's problem, or null.</param>
    /// <param name="stage">What was being checked (for the message), e.g. "input check before epoch 1".</param>
    /// <param name="cancellationToken">Cancels the exchange.</param>
    void AgreeOnErrors(string? localError, string stage, CancellationToken cancellationToken);
}
