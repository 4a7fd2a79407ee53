using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features;
using Mlops.Training.Data;
using Parquet.Serialization;
using TorchSharp;

namespace Mlops.Training.Tests.Data;

public sealed class ParquetDatasetTests : IDisposable
{
    private readonly DataTempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(torch.ScalarType.Float32)]
    [InlineData(torch.ScalarType.Float64)]
    public void Reads_the_vectors_and_labels_the_frame_writer_wrote(torch.ScalarType type)
    {
        var folder = DataTestSupport.WriteParquet(_temp.Combine("features"), rows: 250, width: 4, rowsPerFile: 100, rowGroupSize: 30);
        Assert.Equal(3, Directory.GetFiles(folder, "*.parquet").Length);

        var dataset = ParquetDataset.Open(folder);
        var batches = DataTestSupport.ReadAll(dataset.Batch(64), type: type);

        Assert.Equal(4, dataset.FeatureWidth);
        Assert.Equal(4, dataset.Batch(64).BatchesPerPass(1));
        Assert.Equal(Enumerable.Range(0, 250).Select(i => (float)i), batches.SelectMany(b => b.Labels));
        DataTestSupport.AssertRowsIntact(batches, 4);
    }

    [Fact]
    public void Float64_batches_carry_the_stored_doubles_exactly()
    {
        var schema = new Schema([new Field("features", new ListType(new Field("item", DoubleType.Default, true)), false), new Field("label", DoubleType.Default, false)], null);
        var rows = new[] { new object?[] { new[] { 0.1, 1e-300 }, 0.3 }, new object?[] { new[] { Math.PI, -2.5 }, 1.0 } };
        var folder = _temp.Combine("exact");
        Frame.FromRows(schema, rows).WriteParquet(folder);

        foreach (var batch in ParquetDataset.Open(folder).Batch(2).Read(new DataReadContext(0, 1, torch.ScalarType.Float64), DatasetPosition.Start))
        {
            using (batch)
            {
                Assert.Equal([0.1, 1e-300, Math.PI, -2.5], batch.Features.data<double>().ToArray());
                Assert.Equal([0.3, 1.0], batch.Labels.data<double>().ToArray());
            }
        }
    }

    [Fact]
    public void Scalar_feature_columns_of_several_types_and_a_boolean_label()
    {
        var schema = new Schema(
            [
                new Field("age", Int32Type.Default, false),
                new Field("price", FloatType.Default, false),
                new Field("clicks", Int64Type.Default, true),
                new Field("premium", BooleanType.Default, false),
                new Field("bought", BooleanType.Default, false),
            ],
            null);
        var rows = Enumerable.Range(0, 7).Select(i => (IReadOnlyList<object?>)[i, i * 1.5f, (long)(i * 100), i % 2 == 0, i % 3 == 0]);
        var folder = _temp.Combine("scalars");
        Frame.FromRows(schema, rows).WriteParquet(folder);

        var dataset = ParquetDataset.Open(folder, featureColumns: ["price", "age", "clicks", "premium"], labelColumn: "bought");
        var batch = DataTestSupport.ReadAll(dataset.Batch(7)).Single();

        Assert.Equal(4, dataset.FeatureWidth);
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal([i * 1.5f, i, i * 100, i % 2 == 0 ? 1 : 0], batch.Features[i]);
            Assert.Equal(i % 3 == 0 ? 1 : 0, batch.Labels[i]);
        }
    }

    [Fact]
    public async Task A_list_of_float_column_written_by_another_tool_is_read_too()
    {
        var path = _temp.Combine("floats.parquet");
        var rows = Enumerable.Range(0, 9).Select(i => new FloatRow { Features = [i, -i], Label = i }).ToList();
        await ParquetSerializer.SerializeAsync(rows, path);

        var batches = DataTestSupport.ReadAll(ParquetDataset.Open(path, "Features", "Label").Batch(4), type: torch.ScalarType.Float64);

        Assert.Equal(Enumerable.Range(0, 9).Select(i => new float[] { i, -i }), batches.SelectMany(b => b.Features));
    }

    [Fact]
    public void A_missing_label_or_features_column_names_the_file_and_lists_the_columns()
    {
        var folder = DataTestSupport.WriteParquet(_temp.Combine("cols"), rows: 10, width: 2, rowsPerFile: 10, rowGroupSize: 10);
        var file = Path.GetFileName(Directory.GetFiles(folder, "*.parquet").Single());

        var label = Assert.Throws<SchemaException>(() => ParquetDataset.Open(folder, "features", "clicked"));
        var features = Assert.Throws<SchemaException>(() => ParquetDataset.Open(folder, "vector", "label"));

        Assert.Contains(file, label.Message, StringComparison.Ordinal);
        Assert.Contains("label column 'clicked' does not exist", label.Message, StringComparison.Ordinal);
        Assert.Contains("Columns: id (int64), features (list<double>), label (double)", label.Message, StringComparison.Ordinal);
        Assert.Contains("features column 'vector' does not exist", features.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_column_of_the_wrong_type_is_named_with_its_type()
    {
        var schema = new Schema([new Field("features", new ListType(new Field("item", DoubleType.Default, true)), false), new Field("label", StringType.Default, false)], null);
        var folder = _temp.Combine("strings");
        Frame.FromRows(schema, [[new[] { 1.0 }, "yes"]]).WriteParquet(folder);

        var error = Assert.Throws<DataFormatException>(() => ParquetDataset.Open(folder));

        Assert.Equal("label", error.Column);
        Assert.Contains("type string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vector_of_another_width_is_reported_at_open_with_file_row_group_and_row()
    {
        var vectors = Enumerable.Range(0, 20).Select(i => i == 13 ? new[] { 1.0, 2.0 } : new[] { 1.0, 2.0, 3.0 }).ToArray();
        var folder = WriteVectors("width", vectors, rowGroupSize: 5);

        var error = Assert.Throws<DataFormatException>(() => ParquetDataset.Open(folder));

        Assert.Equal(2, error.RowGroup);
        Assert.Equal("features", error.Column);
        Assert.Contains(".parquet", error.SourceName, StringComparison.Ordinal);
        Assert.Contains("row 13 of the file (row 3 of the row group) has a vector of 2 values", error.Message, StringComparison.Ordinal);
        Assert.Contains("must have 3 values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unequal_vectors_the_footer_cannot_reveal_are_reported_when_read()
    {
        // Rows 6 and 7 have 4 and 2 values: the row group still holds 3 values per row on average.
        var vectors = Enumerable.Range(0, 10).Select(i => i switch { 6 => new[] { 1.0, 2, 3, 4 }, 7 => new[] { 1.0, 2 }, _ => new[] { 1.0, 2, 3 } }).ToArray();
        var folder = WriteVectors("hidden", vectors, rowGroupSize: 5);
        var dataset = ParquetDataset.Open(folder).Batch(2);

        var firstGroup = DataTestSupport.ReadAll(dataset, limit: 2);
        var error = Assert.Throws<DataFormatException>(() => DataTestSupport.ReadAll(dataset));

        Assert.Equal(2, firstGroup.Count);
        Assert.Equal(1, error.RowGroup);
        Assert.Contains("row 6 of the file (row 1 of the row group) has a vector of 4 values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_vector_is_reported_with_its_row()
    {
        var vectors = Enumerable.Range(0, 8).Select(i => i == 6 ? null : new[] { 1.0, 2.0 }).ToArray();
        var folder = WriteVectors("nullvector", vectors, rowGroupSize: 4);

        var error = Assert.Throws<DataFormatException>(() => ParquetDataset.Open(folder));

        Assert.Contains("row 6 of the file (row 2 of the row group) has a null vector", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_label_is_reported_with_its_row_when_read()
    {
        var schema = new Schema([new Field("features", new ListType(new Field("item", DoubleType.Default, true)), false), new Field("label", DoubleType.Default, true)], null);
        var rows = Enumerable.Range(0, 6).Select(i => (IReadOnlyList<object?>)[new[] { (double)i }, i == 4 ? null : (double?)i]);
        var folder = _temp.Combine("nulllabel");
        Frame.FromRows(schema, rows).WriteParquet(folder, new ParquetWriteOptions { RowGroupSize = 3 });

        var error = Assert.Throws<DataFormatException>(() => DataTestSupport.ReadAll(ParquetDataset.Open(folder).Batch(6)));

        Assert.Equal("label", error.Column);
        Assert.Equal(1, error.RowGroup);
        Assert.Contains("row 4 of the file (row 1 of the row group) has a null label", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cache_keeps_the_decoded_rows_so_later_passes_need_no_files()
    {
        var folder = DataTestSupport.WriteParquet(_temp.Combine("cache"), rows: 40, width: 2, rowsPerFile: 20, rowGroupSize: 8);
        var cached = ParquetDataset.Open(folder).Cache().Shuffle(40, seed: 4).Batch(16).Repeat(2);
        var first = DataTestSupport.ReadAll(cached);

        Directory.Delete(folder, recursive: true);
        var again = DataTestSupport.ReadAll(cached);

        Assert.Equal(first.Select(b => b.Labels), again.Select(b => b.Labels));
        Assert.NotEqual(first[0].Labels, first[3].Labels);
        
        // Units are cached per element type: float64 would decode the (deleted) files again.
        Assert.Throws<Mlops.Storage.BlobNotFoundException>(() => DataTestSupport.ReadAll(cached, type: torch.ScalarType.Float64));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Reading_row_groups_ahead_or_not_gives_the_same_batches(int readAhead)
    {
        var folder = DataTestSupport.WriteParquet(_temp.Combine("ahead"), rows: 90, width: 2, rowsPerFile: 30, rowGroupSize: 7);
        var reference = ParquetDataset.Open(folder).Shuffle(5, seed: 8).Batch(9).Repeat(2);
        var other = ParquetDataset.Open(folder, options: new ParquetDatasetOptions { ReadAheadRowGroups = readAhead }).Shuffle(5, seed: 8).Batch(9).Repeat(2);

        for (var r = 0; r < 3; r++)
        {
            var expected = DataTestSupport.ReadAll(reference, r, 3);
            var actual = DataTestSupport.ReadAll(other, r, 3);
            Assert.Equal(expected.Select(b => (b.Position, b.Labels)), actual.Select(b => (b.Position, b.Labels)));
            DataTestSupport.AssertRowsIntact(actual, 2);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => ParquetDataset.Open(folder, options: new ParquetDatasetOptions { ReadAheadRowGroups = -1 }));
    }

    [Fact]
    public void Open_reads_a_vector_column_scalar_columns_or_one_numeric_column()
    {
        var folder = DataTestSupport.WriteParquet(_temp.Combine("overloads"), rows: 12, width: 2, rowsPerFile: 12, rowGroupSize: 12);

        var dataset = ParquetDataset.Open(folder);
        var scalars = ParquetDataset.Open(folder, ["id"], "label");
        var single = ParquetDataset.Open(folder, "id", "label");

        Assert.Equal(12, DataTestSupport.ReadAll(dataset.Batch(12)).Single().Count);
        Assert.Equal(1, scalars.FeatureWidth);
        Assert.Equal(1, single.FeatureWidth);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => new float[] { i }), DataTestSupport.ReadAll(single.Batch(12)).Single().Features);
    }

    [Fact]
    public void A_file_uri_and_a_glob_resolve_through_the_storage_resolver()
    {
        var folder = DataTestSupport.WriteParquet(_temp.Combine("uri"), rows: 30, width: 2, rowsPerFile: 10, rowGroupSize: 10);

        var byUri = ParquetDataset.Open(new Uri(folder).AbsoluteUri, options: new ParquetDatasetOptions { Resolver = Mlops.Storage.StorageResolver.Default });
        var byGlob = ParquetDataset.Open(folder + "/part-*-c00[02].snappy.parquet");

        Assert.Equal(Enumerable.Range(0, 30).Select(i => (float)i), DataTestSupport.ReadAll(byUri.Batch(30)).Single().Labels);
        Assert.Equal(Enumerable.Range(0, 10).Concat(Enumerable.Range(20, 10)).Select(i => (float)i), DataTestSupport.ReadAll(byGlob.Batch(30)).Single().Labels);
    }

    [Fact]
    public void A_missing_path_is_reported()
    {
        Assert.Throws<Mlops.Storage.BlobNotFoundException>(() => ParquetDataset.Open(_temp.Combine("nothing-here")));
    }

    private string WriteVectors(string name, double[]?[] vectors, int rowGroupSize)
    {
        var schema = new Schema([new Field("features", new ListType(new Field("item", DoubleType.Default, true)), true), new Field("label", DoubleType.Default, false)], null);
        var folder = _temp.Combine(name);
        Frame.FromRows(schema, vectors.Select((v, i) => (IReadOnlyList<object?>)[v, (double)i]))
            .WriteParquet(folder, new ParquetWriteOptions { RowGroupSize = rowGroupSize, DegreeOfParallelism = 1 });
        return folder;
    }

    public sealed class FloatRow
    {
        public float[] Features { get; set; } = [];

        public double Label { get; set; }
    }
}
