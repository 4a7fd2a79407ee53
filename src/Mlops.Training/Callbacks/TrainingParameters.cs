namespace Mlops.Training.Callbacks;

/// <summary>What a <c>Fit</c> call was asked to do (Keras' <c>callback.params</c>), for callbacks and hooks.</summary>
/// <param name="Epochs">The epoch count asked for.</param>
/// <param name="InitialEpoch">The first epoch (0-based) this call runs.</param>
/// <param name="StepsPerEpoch">Steps per epoch, or null when an epoch is one pass of unknown length.</param>
/// <param name="GlobalBatchSize">Examples per step across all replicas.</param>
/// <param name="NumReplicas">Replicas training in sync.</param>
/// <param name="Verbose">What <c>Fit</c> prints (Keras' verbose).</param>
/// <param name="MetricNames">The names the logs carry: loss, then each metric.</param>
public sealed record TrainingParameters(int Epochs, int InitialEpoch, long? StepsPerEpoch, int GlobalBatchSize, int NumReplicas, Verbosity Verbose, IReadOnlyList<string> MetricNames);
