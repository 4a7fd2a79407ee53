using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features;
using Mlops.Training.Data;

namespace Mlops.Training.Tests.Data;

public sealed class FromFrameTests : IDisposable
{
    private const int Width = 3;
    private readonly DataTempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_parquet_scan_reads_like_ParquetDataset_with_its_row_count_from_the_footers()
    {
        var folder = DataTestSupport.WriteParquet(_temp.Combine("features"), rows: 50, Width, rowsPerFile: 20, rowGroupSize: 7);

        var dataset = Dataset.FromFrame(Frame.ReadParquet(folder));

        Assert.Equal(50, dataset.RecordsPerPass());
        Assert.Equal(Width, dataset.FeatureWidth);
        var expected = DataTestSupport.ReadAll(ParquetDataset.Open(folder).Batch(8));
        var actual = DataTestSupport.ReadAll(dataset.Batch(8));
        Assert.Equal(expected.SelectMany(b => b.Labels), actual.SelectMany(b => b.Labels));
        DataTestSupport.AssertRowsIntact(actual, Width);

        // The dense path keeps the part files, so file sharding works on the scan.
        var file = dataset.WithOptions(new DatasetOptions { AutoShardPolicy = AutoShardPolicy.File }).Batch(4);
        var seen = DataTestSupport.ReadAll(file, replica: 0, replicas: 2).Concat(DataTestSupport.ReadAll(file, replica: 1, replicas: 2)).SelectMany(b => b.Labels);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (float)i), seen.Order());
    }

    [Fact]
    public void A_transformed_frame_streams_its_batches_into_the_dataset()
    {
        // VectorAssembler output that is never written: the dataset reads the frame's batches.
        var frame = new VectorAssembler().SetInputCols("a", "b", "c").Transform(ScalarFrame(rows: 30, batchSize: 7));

        var dataset = Dataset.FromFrame(frame, "features", "label");

        Assert.Equal(Width, dataset.FeatureWidth);
        Assert.Equal(30, dataset.RecordsPerPass());
        var batches = DataTestSupport.ReadAll(dataset.Batch(4), type: TorchSharp.torch.ScalarType.Float64);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (float)i), batches.SelectMany(b => b.Labels));
        DataTestSupport.AssertRowsIntact(batches, Width);
    }

    [Fact]
    public void A_transformed_frame_is_sharded_by_data_across_two_workers()
    {
        var frame = new VectorAssembler().SetInputCols("a", "b", "c").Transform(ScalarFrame(rows: 41, batchSize: 6));
        var dataset = Dataset.FromFrame(frame).Shuffle(bufferSize: 10, seed: 3).Batch(8);

        var first = DataTestSupport.ReadAll(dataset, replica: 0, replicas: 2);
        var second = DataTestSupport.ReadAll(dataset, replica: 1, replicas: 2);

        Assert.Equal(dataset.BatchesPerPass(2), first.Count);
        Assert.Equal(first.Count, second.Count);
        var all = first.Concat(second).SelectMany(b => b.Labels).ToArray();
        Assert.Equal(Enumerable.Range(0, 41).Select(i => (float)i), all.Order());
        Assert.Empty(first.SelectMany(b => b.Labels).Intersect(second.SelectMany(b => b.Labels)));
        DataTestSupport.AssertRowsIntact(first.Concat(second), Width);
        Assert.Throws<ArgumentException>(() => DataTestSupport.ReadAll(Dataset.FromFrame(frame).WithOptions(new DatasetOptions { AutoShardPolicy = AutoShardPolicy.File }).Batch(4), replica: 0, replicas: 2));
    }

    [Fact]
    public void A_missing_column_is_named_with_the_columns_that_exist()
    {
        var frame = ScalarFrame(rows: 5, batchSize: 5);

        var error = Assert.Throws<SchemaException>(() => Dataset.FromFrame(frame, "features", "label"));

        Assert.Contains("features column 'features' does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("a, b, c, label", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_label_is_reported_with_its_column_and_row()
    {
        var schema = new Schema([new Field("x", DoubleType.Default, false), new Field("y", DoubleType.Default, true)], null);
        var frame = Frame.FromRows(schema, Enumerable.Range(0, 6).Select(i => (IReadOnlyList<object?>)[(double)i, i == 4 ? null : (double)i]), batchSize: 3);

        var error = Assert.Throws<DataFormatException>(() => DataTestSupport.ReadAll(Dataset.FromFrame(frame, "x", "y").Batch(2)));

        Assert.Equal("y", error.Column);
        Assert.Contains("row 1 of partition 1 has a null label", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vector_of_another_width_and_a_text_column_are_reported_with_their_column()
    {
        var schema = new Schema(
            [
                new Field("v", new ListType(new Field("item", DoubleType.Default, true)), true),
                new Field("name", StringType.Default, false),
                new Field("label", DoubleType.Default, false),
            ],
            null);
        var rows = Enumerable.Range(0, 5).Select(i => (IReadOnlyList<object?>)[i == 3 ? new[] { 1.0 } : new[] { 1.0, 2.0 }, "n", (double)i]);
        var frame = Frame.FromRows(schema, rows, batchSize: 5);

        var width = Assert.Throws<DataFormatException>(() => DataTestSupport.ReadAll(Dataset.FromFrame(frame, "v", "label").Batch(5)));
        var text = Assert.Throws<DataFormatException>(() => Dataset.FromFrame(frame, "name", "label"));

        Assert.Equal("v", width.Column);
        Assert.Contains("row 3 of partition 0 has a vector of 1 values, but every feature vector must have 2 values", width.Message, StringComparison.Ordinal);
        Assert.Equal("name", text.Column);
        Assert.Contains("type utf8", text.Message, StringComparison.Ordinal);
    }

    /// <summary>Scalar columns a, b, c holding <see cref="DataTestSupport.FeaturesOf"/> of the id, and the label = id.</summary>
    private static Frame ScalarFrame(int rows, int batchSize)
    {
        var schema = new Schema(
            [
                new Field("a", DoubleType.Default, false),
                new Field("b", DoubleType.Default, false),
                new Field("c", DoubleType.Default, false),
                new Field("label", Int64Type.Default, false),
            ],
            null);
        var records = Enumerable.Range(0, rows).Select(i =>
        {
            var f = DataTestSupport.FeaturesOf(i, Width);
            return (IReadOnlyList<object?>)[f[0], f[1], f[2], (long)i];
        });
        return Frame.FromRows(schema, records, batchSize);
    }
}
