using Mlops.Training.Data;
using Mlops.Training.Data.Pipeline;
using Mlops.Training.Runtime;
using TorchSharp;

namespace Mlops.Training.Tests.Data;

public sealed class PrefetchTests
{
    [Fact]
    public void Prefetching_yields_the_same_batches_as_reading_directly()
    {
        var dataset = DataTestSupport.InMemory(100).Shuffle(100, seed: 1).Batch(8).Repeat(2);

        var direct = DataTestSupport.ReadAll(dataset);
        var prefetched = DataTestSupport.ReadAll(dataset.Prefetch(3));

        Assert.Equal(direct.Select(b => (b.Position, b.Labels)), prefetched.Select(b => (b.Position, b.Labels)));
    }

    [Fact]
    public void A_failure_in_the_producer_reaches_the_consumer_unchanged_after_the_good_batches()
    {
        var dataset = new FailingDataset(goodBatches: 3, new DataFormatException("row 7 is broken", "part-0.parquet", rowGroup: 2));

        var received = 0;
        var error = Assert.Throws<DataFormatException>(() =>
        {
            foreach (var batch in dataset.Prefetch(2).Read(DataReadContext.Single, DatasetPosition.Start))
            {
                batch.Dispose();
                received++;
            }
        });

        Assert.Equal(3, received);
        Assert.Equal("part-0.parquet, row group 2: row 7 is broken", error.Message);
    }

    [Fact]
    public void Disposing_the_enumerator_early_stops_and_joins_the_thread_and_frees_queued_batches()
    {
        var dataset = new RecordingDataset();

        var enumerator = (PrefetchingBatches.Enumerator)dataset.Prefetch(4).Read(DataReadContext.Single, DatasetPosition.Start).GetEnumerator();
        Assert.True(enumerator.MoveNext());
        var consumed = enumerator.Current;
        Assert.True(SpinWait.SpinUntil(() => dataset.Produced.Count >= 5, TimeSpan.FromSeconds(10)), "the producer should fill the queue");
        enumerator.Dispose();

        Assert.False(enumerator.ProducerThread.IsAlive);
        Assert.Throws<ObjectDisposedException>(() => enumerator.MoveNext());
        Assert.False(consumed.Features.IsInvalid);
        Assert.All(dataset.Produced.Where(b => b != consumed), b => Assert.True(b.Features.IsInvalid, "a queued batch was not disposed"));
        consumed.Dispose();
    }

    [Fact]
    public void Cancelling_stops_a_consumer_waiting_for_a_batch_and_the_thread()
    {
        var release = new ManualResetEventSlim();
        var dataset = new BlockingDataset(release);
        using var cancellation = new CancellationTokenSource();

        var enumerator = (PrefetchingBatches.Enumerator)dataset.Prefetch(1).Read(DataReadContext.Single, DatasetPosition.Start, cancellation.Token).GetEnumerator();
        var consumer = Task.Run(() => enumerator.MoveNext());
        Assert.True(dataset.Started.Wait(TimeSpan.FromSeconds(10)));
        cancellation.Cancel();

        var error = Assert.ThrowsAny<OperationCanceledException>(() => consumer.GetAwaiter().GetResult());
        enumerator.Dispose();

        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.False(enumerator.ProducerThread.IsAlive);
        Assert.False(release.IsSet);
    }

    [Fact]
    public void Breaking_out_of_a_foreach_leaves_no_prefetch_thread_behind()
    {
        var dataset = DataTestSupport.InMemory(100).Batch(5).Repeat().Prefetch(2);
        PrefetchingBatches.Enumerator? seen = null;

        using (var enumerator = dataset.Read(DataReadContext.Single, DatasetPosition.Start).GetEnumerator())
        {
            seen = (PrefetchingBatches.Enumerator)enumerator;
            for (var i = 0; i < 5 && enumerator.MoveNext(); i++)
            {
                enumerator.Current.Dispose();
            }
        }

        Assert.False(seen.ProducerThread.IsAlive);
    }

    /// <summary>Yields a few good batches, then fails; a transformation of the pipeline's source is not needed for this.</summary>
    private sealed class FailingDataset(int goodBatches, Exception failure) : Dataset
    {
        public override int FeatureWidth => 1;

        public override int? GlobalBatchSize => 1;

        public override bool IsInfinite => false;

        public override long? BatchesPerPass(int numReplicas) => null;

        public override IEnumerable<DataBatch> Read(DataReadContext context, DatasetPosition start, CancellationToken cancellationToken = default)
        {
            TorchRuntime.EnsureInitialized();
            for (var i = 0; i < goodBatches; i++)
            {
                yield return new DataBatch(torch.zeros(1, 1), torch.zeros(1), 1, new DatasetPosition(0, i));
            }

            throw failure;
        }
    }

    /// <summary>Yields batches forever and remembers them.</summary>
    private sealed class RecordingDataset : Dataset
    {
        public System.Collections.Concurrent.ConcurrentQueue<DataBatch> Produced { get; } = new();

        public override int FeatureWidth => 1;

        public override int? GlobalBatchSize => 1;

        public override bool IsInfinite => true;

        public override long? BatchesPerPass(int numReplicas) => null;

        public override IEnumerable<DataBatch> Read(DataReadContext context, DatasetPosition start, CancellationToken cancellationToken = default)
        {
            TorchRuntime.EnsureInitialized();
            for (var i = 0; ; i++)
            {
                var batch = new DataBatch(torch.zeros(1, 1), torch.zeros(1), 1, new DatasetPosition(0, i));
                Produced.Enqueue(batch);
                yield return batch;
            }
        }
    }

    /// <summary>Blocks in Read until released or cancelled.</summary>
    private sealed class BlockingDataset(ManualResetEventSlim release) : Dataset
    {
        public ManualResetEventSlim Started { get; } = new();

        public override int FeatureWidth => 1;

        public override int? GlobalBatchSize => 1;

        public override bool IsInfinite => false;

        public override long? BatchesPerPass(int numReplicas) => null;

        public override IEnumerable<DataBatch> Read(DataReadContext context, DatasetPosition start, CancellationToken cancellationToken = default)
        {
            Started.Set();
            release.Wait(cancellationToken);
            yield break;
        }
    }
}
