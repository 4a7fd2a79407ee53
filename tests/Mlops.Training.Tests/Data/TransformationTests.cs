using Mlops.Training.Data;
using TorchSharp;

namespace Mlops.Training.Tests.Data;

public sealed class TransformationTests
{
    [Fact]
    public void Batches_hold_the_rows_in_order_with_their_labels_and_a_partial_last_batch()
    {
        var batches = DataTestSupport.ReadAll(DataTestSupport.InMemory(10, 3).Batch(4));

        Assert.Equal([4, 4, 2], batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), batches.SelectMany(b => b.Labels));
        Assert.Equal([new DatasetPosition(0, 0), new DatasetPosition(0, 1), new DatasetPosition(0, 2)], batches.Select(b => b.Position));
        DataTestSupport.AssertRowsIntact(batches, 3);
    }

    [Fact]
    public void Every_array_overload_gives_the_same_batches_in_float32_and_float64()
    {
        float[][] jagged = [[1, 2], [3, 4], [5, 6]];
        float[,] matrix = { { 1, 2 }, { 3, 4 }, { 5, 6 } };
        double[][] jaggedDouble = [[1, 2], [3, 4], [5, 6]];
        float[] labels = [7, 8, 9];
        var datasets = new[]
        {
            Dataset.FromArrays(jagged, labels),
            Dataset.FromArrays(matrix, labels),
            Dataset.FromArrays(new float[] { 1, 2, 3, 4, 5, 6 }.AsMemory(), 2, labels.AsMemory()),
            Dataset.FromArrays(jaggedDouble, [7.0, 8, 9]),
            Dataset.FromArrays(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }, [7.0, 8, 9]),
            Dataset.FromArrays(new double[] { 1, 2, 3, 4, 5, 6 }.AsMemory(), 2, new double[] { 7, 8, 9 }.AsMemory()),
        };

        foreach (var dataset in datasets)
        {
            Assert.Equal(2, dataset.FeatureWidth);
            foreach (var type in new[] { torch.ScalarType.Float32, torch.ScalarType.Float64 })
            {
                foreach (var batch in dataset.Batch(2).Read(new DataReadContext(0, 1, type), DatasetPosition.Start))
                {
                    using (batch)
                    {
                        Assert.Equal(type, batch.Features.dtype);
                        Assert.Equal(type, batch.Labels.dtype);
                    }
                }

                var values = DataTestSupport.ReadAll(dataset.Batch(2), type: type);
                Assert.Equal([[1f, 2f], [3f, 4f], [5f, 6f]], values.SelectMany(b => b.Features));
                Assert.Equal([7f, 8f, 9f], values.SelectMany(b => b.Labels));
            }
        }
    }

    [Fact]
    public void Jagged_rows_of_different_widths_and_label_count_mismatches_are_named()
    {
        var ragged = Assert.Throws<ArgumentException>(() => Dataset.FromArrays([[1f, 2f], [3f]], [0f, 1f]));
        var labels = Assert.Throws<ArgumentException>(() => Dataset.FromArrays(new float[,] { { 1 }, { 2 } }, [0f]));
        var flat = Assert.Throws<ArgumentException>(() => Dataset.FromArrays(new float[5].AsMemory(), 2, new float[2].AsMemory()));

        Assert.Contains("Feature row 1 has 1 values but row 0 has 2", ragged.Message, StringComparison.Ordinal);
        Assert.Contains("2 rows but there are 1 labels", labels.Message, StringComparison.Ordinal);
        Assert.Contains("5 feature values for 2 labels at width 2", flat.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Take_and_skip_act_on_records_before_batch_and_on_batches_after_it()
    {
        var data = DataTestSupport.InMemory(20);

        var records = DataTestSupport.ReadAll(data.Skip(3).Take(5).Batch(2)).SelectMany(b => b.Labels);
        var batches = DataTestSupport.ReadAll(data.Batch(4).Skip(1).Take(2));

        Assert.Equal([3f, 4, 5, 6, 7], records);
        Assert.Equal([[4f, 5, 6, 7], [8f, 9, 10, 11]], batches.Select(b => b.Labels));
        Assert.Equal([new DatasetPosition(0, 0), new DatasetPosition(0, 1)], batches.Select(b => b.Position));
        Assert.Equal(2, data.Batch(4).Skip(1).Take(2).BatchesPerPass(1));
    }

    [Fact]
    public void Take_before_shuffle_shuffles_the_first_records_and_take_after_shuffle_samples_each_pass()
    {
        var data = DataTestSupport.InMemory(100);

        var firstTen = DataTestSupport.ReadAll(data.Take(10).Shuffle(100, seed: 1).Batch(10).Repeat(2));
        var sampled = DataTestSupport.ReadAll(data.Shuffle(100, seed: 1).Take(10).Batch(10).Repeat(2));

        Assert.All(firstTen, b => Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), b.Labels.Order()));
        Assert.NotEqual(firstTen[0].Labels, firstTen[1].Labels);
        Assert.NotEqual(sampled[0].Labels.Order(), sampled[1].Labels.Order());
        Assert.Contains(sampled[0].Labels, l => l >= 10);
    }

    [Fact]
    public void Repeat_counts_multiply_and_an_endless_dataset_says_so()
    {
        var data = DataTestSupport.InMemory(5).Batch(5);

        Assert.Equal(6, DataTestSupport.ReadAll(data.Repeat(2).Repeat(3)).Count);
        Assert.Empty(DataTestSupport.ReadAll(data.Repeat(0)));
        Assert.False(data.Repeat(3).IsInfinite);
        Assert.True(data.Repeat().IsInfinite);
        Assert.Equal(25, DataTestSupport.ReadAll(data.Repeat(), limit: 25).Count);
        Assert.False(data.Take(0).Repeat().IsInfinite);
        Assert.Empty(DataTestSupport.ReadAll(data.Take(0).Repeat()));
    }

    [Fact]
    public void Repeat_before_batch_keeps_passes_apart()
    {
        var batches = DataTestSupport.ReadAll(DataTestSupport.InMemory(5).Repeat(2).Batch(4));

        Assert.Equal([4, 1, 4, 1], batches.Select(b => b.Count));
    }

    [Fact]
    public void Orders_with_no_equivalent_here_are_refused_with_what_to_write_instead()
    {
        var data = DataTestSupport.InMemory(5);

        Assert.Contains("call Shuffle before Batch", Assert.Throws<InvalidOperationException>(() => data.Batch(2).Shuffle(5, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("already batched", Assert.Throws<InvalidOperationException>(() => data.Batch(2).Batch(2)).Message, StringComparison.Ordinal);
        Assert.Contains("already shuffled", Assert.Throws<InvalidOperationException>(() => data.Shuffle(2, 1).Shuffle(2, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("Take after Repeat", Assert.Throws<InvalidOperationException>(() => data.Batch(2).Repeat().Take(3)).Message, StringComparison.Ordinal);
        Assert.Contains("not batched", Assert.Throws<InvalidOperationException>(() => data.Read(DataReadContext.Single, DatasetPosition.Start)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Datasets_are_immutable_descriptions()
    {
        var data = DataTestSupport.InMemory(6);
        var batched = data.Batch(4);

        Assert.Null(data.GlobalBatchSize);
        Assert.Equal(4, batched.GlobalBatchSize);
        Assert.Equal([4, 2], DataTestSupport.ReadAll(batched).Select(b => b.Count));
        Assert.Equal([4, 2], DataTestSupport.ReadAll(batched).Select(b => b.Count));
    }

    [Fact]
    public void An_invalid_context_or_start_is_refused_when_read_is_called()
    {
        var data = DataTestSupport.InMemory(6).Batch(2);

        Assert.Throws<ArgumentOutOfRangeException>(() => data.Read(new DataReadContext(2, 2), DatasetPosition.Start));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Read(DataReadContext.Single, new DatasetPosition(-1, 0)));
        Assert.Throws<ArgumentException>(() => data.Read(new DataReadContext(0, 1, torch.ScalarType.Int32), DatasetPosition.Start));
    }
}
