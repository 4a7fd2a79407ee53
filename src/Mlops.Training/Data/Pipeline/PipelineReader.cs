using Mlops.Training.Data.Sources;
using static TorchSharp.torch;

namespace Mlops.Training.Data.Pipeline;

/// <summary>
/// Streams one replica's batches of a pipeline from a position: for each pass from the start position's on, plans the
/// pass's order (<see cref="PassOrder"/>), skips to the first wanted batch by position arithmetic, then emits chunks
/// of the stream, keeps this replica's part of each and builds its tensors.
/// </summary>
internal static class PipelineReader
{
    /// <summary>How many upcoming units are offered to the source for reading ahead (it decides how many it takes).</summary>
    private const int ReadAheadWindow = 4;

    public static IEnumerable<DataBatch> Read(RecordSource source, PipelineSpec spec, ShardPlan plan, ScalarType elementType, DatasetPosition start, CancellationToken cancellationToken)
    {
        var geometry = plan.Geometry;
        if (geometry.Batches == 0)
        {
            // An empty pass: repeating it would loop forever without yielding.
            yield break;
        }

        var chunkSize = plan.ChunkSize;
        var runs = new List<RecordRun>();
        var upcoming = new List<int>();
        using var blocks = new BlockSet(source.OpenReader(elementType), cancellationToken);
        for (var pass = start.Pass; spec.Passes is not { } passes || pass < passes; pass++)
        {
            var batch = pass == start.Pass ? start.Batch : 0;
            if (batch >= geometry.Batches)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var order = PassOrder.Create(plan.View, geometry.SourceFirst, geometry.SourceLength, source.Units.Count, spec.Shuffle, pass, plan.SeedReplica);
            order.Skip(geometry.StreamFirst + ((geometry.BatchFirst + batch) * chunkSize));
            order.DrainFinishedUnits(blocks.Release);
            for (; batch < geometry.Batches; batch++)
            {
                // Units the input reaches next: a source may decode them in the background while this batch is built.
                upcoming.Clear();
                order.UpcomingUnits(upcoming, ReadAheadWindow);
                blocks.ReadAhead(upcoming);
                cancellationToken.ThrowIfCancellationRequested();
                var chunkLength = geometry.ChunkLength(batch, chunkSize);
                runs.Clear();
                order.Emit(chunkLength, runs);
                var (offset, count) = plan.Slice(chunkLength);
                var built = BatchBuilder.Build(runs, offset, count, blocks, source.FeatureWidth, elementType, plan.GlobalCount(chunkLength), new DatasetPosition(pass, batch));
                order.DrainFinishedUnits(blocks.Release);
                yield return built;
            }

            if (pass == int.MaxValue)
            {
                yield break;
            }
        }
    }
}
