using Mlops.Training.Data.Sources;
using Mlops.Training.Runtime;
using static TorchSharp.torch;

namespace Mlops.Training.Data.Pipeline;

/// <summary>The dataset that every factory and transformation produces: a record source and the folded transformations.</summary>
internal sealed class PipelineDataset : Dataset
{
    public PipelineDataset(RecordSource source, PipelineSpec spec)
    {
        Source = source;
        Spec = spec;
    }

    public RecordSource Source { get; }

    public PipelineSpec Spec { get; }

    public override int FeatureWidth => Source.FeatureWidth;

    public override int? GlobalBatchSize => Spec.BatchSize;

    public override bool IsInfinite =>
        Spec.Passes is null && PassGeometry.Compute(Source.TotalRows(), Spec, Spec.BatchSize ?? 1).Batches > 0;

    public override long? BatchesPerPass(int numReplicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numReplicas, 1);
        if (Spec.BatchSize is not { } batchSize)
        {
            return null;
        }

        var plan = ShardPlan.Create(Source, Spec, batchSize, 0, numReplicas);
        return plan.Policy == AutoShardPolicy.File ? null : plan.Geometry.Batches;
    }

    public override long? RecordsPerPass() => PassGeometry.Compute(Source.TotalRows(), Spec, 1).StreamLength;

    public override IEnumerable<DataBatch> Read(DataReadContext context, DatasetPosition start, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.NumReplicas < 1 || context.ReplicaId < 0 || context.ReplicaId >= context.NumReplicas)
        {
            throw new ArgumentOutOfRangeException(nameof(context), context, $"Replica {context.ReplicaId} of {context.NumReplicas} is not a valid replica: the id must be in [0, {context.NumReplicas}).");
        }

        if (context.ElementType is not (ScalarType.Float32 or ScalarType.Float64))
        {
            throw new ArgumentException($"Datasets produce float32 or float64 tensors, not {context.ElementType}.", nameof(context));
        }

        if (start.Pass < 0 || start.Batch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, "A dataset position has a pass and a batch of at least 0.");
        }

        if (Spec.BatchSize is not { } batchSize)
        {
            throw new InvalidOperationException($"The dataset ({Source.Description}) is not batched: call Batch(globalBatchSize) before reading it, as Keras' fit needs batches.");
        }

        TorchRuntime.EnsureInitialized();
        var plan = ShardPlan.Create(Source, Spec, batchSize, context.ReplicaId, context.NumReplicas);
        var elementType = context.ElementType;
        if (Spec.PrefetchBatches > 0)
        {
            return new PrefetchingBatches(token => PipelineReader.Read(Source, Spec, plan, elementType, start, token), Spec.PrefetchBatches, cancellationToken);
        }

        return PipelineReader.Read(Source, Spec, plan, elementType, start, cancellationToken);
    }

    public override string ToString() => $"Dataset[{Source.Description}, width {FeatureWidth}, batch {Spec.BatchSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}]";
}
