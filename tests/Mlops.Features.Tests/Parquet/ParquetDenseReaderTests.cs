using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet;
using ParquetEncoding = Parquet.Meta.Encoding;

namespace Mlops.Features.Tests.Parquet;

/// <summary>The dense path: feature matrices and labels decoded from row groups straight into float32/float64 buffers.</summary>
public sealed class ParquetDenseReaderTests : IDisposable
{
    private const int Width = 3;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(ParquetCompression.None)]
    [InlineData(ParquetCompression.Snappy)]
    [InlineData(ParquetCompression.Zstd)]
    public void Row_groups_of_several_files_decode_into_float32_and_float64_buffers(ParquetCompression compression)
    {
        var folder = WriteVectors("vectors", rows: 45, rowsPerFile: 20, rowGroupSize: 7, compression);

        var reader = ParquetDenseReader.Open(folder);

        Assert.Equal(Width, reader.FeatureWidth);
        Assert.Equal(45, reader.RowCount);
        Assert.Equal(3, reader.Files.Count);
        Assert.Equal(7, reader.RowGroups.Count); // 7 + 7 + 6 rows in each of the first two files, 5 in the last
        var seen = new List<int>();
        foreach (var group in reader.RowGroups)
        {
            var singles = (Features: new float[group.Rows * Width], Labels: new float[group.Rows]);
            var doubles = (Features: new double[group.Rows * Width], Labels: new double[group.Rows]);
            reader.ReadRowGroup(group.File, group.RowGroup, singles.Features, singles.Labels);
            reader.ReadRowGroup(group.File, group.RowGroup, doubles.Features, doubles.Labels);
            for (var r = 0; r < group.Rows; r++)
            {
                var id = (int)doubles.Labels[r];
                Assert.Equal(id, singles.Labels[r]);
                Assert.Equal(FeaturesOf(id), doubles.Features.AsSpan(r * Width, Width).ToArray());
                Assert.Equal(FeaturesOf(id).Select(v => (float)v), singles.Features.AsSpan(r * Width, Width).ToArray());
                seen.Add(id);
            }
        }

        Assert.Equal(Enumerable.Range(0, 45), seen.Order());
    }

    [Fact]
    public void Scalar_columns_fill_the_matrix_in_the_order_given()
    {
        var schema = new Schema(
            [
                new Field("i", Int32Type.Default, false),
                new Field("l", Int64Type.Default, true),
                new Field("f", FloatType.Default, false),
                new Field("b", BooleanType.Default, false),
                new Field("y", DoubleType.Default, false),
            ],
            null);
        var rows = Enumerable.Range(0, 10).Select(k => (IReadOnlyList<object?>)[k, (long)-k, k * 0.5f, k % 2 == 0, k * 10.0]);
        var folder = _temp.Combine("scalars");
        Frame.FromRows(schema, rows).WriteParquet(folder, new ParquetWriteOptions { RowGroupSize = 4, DegreeOfParallelism = 1 });

        var reader = ParquetDenseReader.Open(folder, ["f", "i", "b", "l"], "y");
        using var cursor = reader.OpenCursor();
        var position = ParquetDensePosition.Start;
        var features = new double[10 * 4];
        var labels = new double[10];

        Assert.Equal(10, cursor.Read(ref position, features, labels));
        Assert.Equal(4, reader.FeatureWidth);
        for (var k = 0; k < 10; k++)
        {
            Assert.Equal(new[] { k * 0.5, k, k % 2 == 0 ? 1 : 0, -k }, features.AsSpan(k * 4, 4).ToArray());
            Assert.Equal(k * 10.0, labels[k]);
        }

        // A single numeric column is a vector of width 1.
        Assert.Equal(1, ParquetDenseReader.Open(folder, "i", "y").FeatureWidth);
    }

    [Theory]
    [InlineData("uncompressed")]
    [InlineData("snappy")]
    [InlineData("zstd")]
    public async Task Fixed_size_float_arrays_with_dictionary_pages_from_another_writer_are_read(string codec)
    {
        // DuckDB writes FLOAT[3] (a fixed-size array) as a Parquet list of float, and dictionary-encodes columns with few distinct values.
        var file = _temp.Combine($"duck-{codec}.parquet");
        using (var duck = ParquetDuckDbInteropTests.Open())
        {
            ParquetDuckDbInteropTests.Execute(duck, $"""
                COPY (SELECT i::BIGINT AS id,
                             [(i % 5)::FLOAT, (i % 5)::FLOAT + 0.25, (i % 5)::FLOAT + 0.5]::FLOAT[3] AS features,
                             (i % 4)::DOUBLE AS label
                      FROM range(0, 5000) t(i))
                TO '{file.Replace('\\', '/')}' (FORMAT PARQUET, COMPRESSION '{codec}', ROW_GROUP_SIZE 2048)
                """);
        }

        Assert.Contains(await LabelEncodings(file), e => e is ParquetEncoding.RLE_DICTIONARY or ParquetEncoding.PLAIN_DICTIONARY);
        var reader = ParquetDenseReader.Open(file);
        Assert.Equal(3, reader.FeatureWidth);
        Assert.True(reader.RowGroups.Count > 1);
        using var cursor = reader.OpenCursor();
        var position = ParquetDensePosition.Start;
        var features = new float[5000 * 3];
        var labels = new float[5000];

        Assert.Equal(5000, cursor.Read(ref position, features, labels));
        for (var i = 0; i < 5000; i++)
        {
            Assert.Equal(new[] { i % 5, (i % 5) + 0.25f, (i % 5) + 0.5f }, features.AsSpan(i * 3, 3).ToArray());
            Assert.Equal(i % 4, labels[i]);
        }
    }

    [Fact]
    public void A_cursor_resumes_from_a_position_in_the_middle_of_a_row_group()
    {
        var folder = WriteVectors("resume", rows: 45, rowsPerFile: 20, rowGroupSize: 7, ParquetCompression.Snappy);
        var reader = ParquetDenseReader.Open(folder);
        var expected = ReadAll(reader);

        // File 0, row group 1, row 3 is the 11th row (row groups of 7); reading 12 rows crosses into file 1.
        using (var cursor = reader.OpenCursor())
        {
            var position = new ParquetDensePosition(0, 1, 3);
            var features = new double[12 * Width];
            var labels = new double[12];
            Assert.Equal(12, cursor.Read(ref position, features, labels));
            Assert.Equal(expected.Labels[10..22], labels);
            Assert.Equal(expected.Features[(10 * Width)..(22 * Width)], features);
            Assert.Equal(new ParquetDensePosition(1, 0, 2), position);
        }

        // Stopping every 4 rows and resuming with a new cursor from the saved position reads every row once.
        var resumed = new List<double>();
        var at = ParquetDensePosition.Start;
        while (true)
        {
            using var cursor = reader.OpenCursor();
            var labels = new double[4];
            var read = cursor.Read(ref at, new double[4 * Width], labels);
            resumed.AddRange(labels[..read]);
            if (read < 4)
            {
                break;
            }
        }

        Assert.Equal(expected.Labels, resumed);
        Assert.Equal(new ParquetDensePosition(3, 0, 0), at);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            using var cursor = reader.OpenCursor();
            var beyond = new ParquetDensePosition(0, 1, 8);
            cursor.Read(ref beyond, new double[Width], new double[1]);
        });
    }

    [Fact]
    public void A_null_vector_a_short_vector_and_a_null_label_are_named_with_the_row_and_column()
    {
        var nullVector = WriteRows("null-vector", Enumerable.Range(0, 10).Select(i => (FeaturesOf(i), (double?)i, i == 6)));
        var shortVector = WriteRows("short-vector", Enumerable.Range(0, 10).Select(i => (i == 8 ? [1.0, 2.0] : FeaturesOf(i), (double?)i, false)));
        var nullLabel = WriteRows("null-label", Enumerable.Range(0, 10).Select(i => (FeaturesOf(i), i == 5 ? null : (double?)i, false)));

        var vector = Assert.Throws<DataFormatException>(() => ParquetDenseReader.Open(nullVector));
        var width = Assert.Throws<DataFormatException>(() => ParquetDenseReader.Open(shortVector));
        var label = Assert.Throws<DataFormatException>(() => ParquetDenseReader.Open(nullLabel));

        Assert.Equal("features", vector.Column);
        Assert.Equal(1, vector.RowGroup);
        Assert.Contains("row 6 of the file (row 2 of the row group) has a null vector", vector.Message, StringComparison.Ordinal);
        Assert.Equal("features", width.Column);
        Assert.Contains("row 8 of the file (row 0 of the row group) has a vector of 2 values", width.Message, StringComparison.Ordinal);
        Assert.Equal("label", label.Column);
        Assert.Contains("row 5 of the file (row 1 of the row group) has a null label", label.Message, StringComparison.Ordinal);
        Assert.Contains(".parquet", label.SourceName, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_column_or_one_of_another_type_is_named()
    {
        var schema = new Schema([new Field("name", StringType.Default, false), new Field("label", DoubleType.Default, false)], null);
        var folder = _temp.Combine("text");
        Frame.FromRows(schema, [["a", 1.0]]).WriteParquet(folder, new ParquetWriteOptions { DegreeOfParallelism = 1 });

        var missing = Assert.Throws<SchemaException>(() => ParquetDenseReader.Open(folder, "features", "label"));
        var text = Assert.Throws<DataFormatException>(() => ParquetDenseReader.Open(folder, "name", "label"));

        Assert.Contains("features column 'features' does not exist. Columns: name (string), label (double)", missing.Message, StringComparison.Ordinal);
        Assert.Equal("name", text.Column);
        Assert.Contains("type string", text.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_file_and_a_corrupt_page_are_named_with_the_file_row_group_and_column()
    {
        var truncated = Directory.GetFiles(WriteVectors("truncated", rows: 100, rowsPerFile: 100, rowGroupSize: 100, ParquetCompression.Snappy), "*.parquet").Single();
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var corrupt = Directory.GetFiles(WriteVectors("corrupt", rows: 100, rowsPerFile: 100, rowGroupSize: 100, ParquetCompression.Snappy), "*.parquet").Single();
        bytes = File.ReadAllBytes(corrupt);
        bytes.AsSpan(4, 64).Fill(0xFF);
        File.WriteAllBytes(corrupt, bytes);

        var footer = Assert.Throws<DataFormatException>(() => ParquetDenseReader.Open(truncated));
        var reader = ParquetDenseReader.Open(corrupt);
        var page = Assert.Throws<DataFormatException>(() => reader.ReadRowGroup(0, 0, new float[100 * Width], new float[100]));

        Assert.Equal(truncated, footer.SourceName);
        Assert.Contains("Not a readable Parquet file", footer.Message, StringComparison.Ordinal);
        Assert.Equal(corrupt, page.SourceName);
        Assert.Equal(0, page.RowGroup);
        Assert.Equal("features", page.Column);
    }

    [Fact]
    public void Buffers_too_small_for_the_row_group_are_refused()
    {
        var reader = ParquetDenseReader.Open(WriteVectors("small", rows: 10, rowsPerFile: 10, rowGroupSize: 10, ParquetCompression.None));

        Assert.Throws<ArgumentException>(() => reader.ReadRowGroup(0, 0, new float[(10 * Width) - 1], new float[10]));
        Assert.Throws<ArgumentException>(() => reader.ReadRowGroup(0, 0, new float[10 * Width], new float[9]));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadRowGroup(0, 1, new float[10 * Width], new float[10]));
    }

    [Fact]
    public void Only_a_plain_parquet_scan_opens_a_dense_reader()
    {
        var folder = WriteVectors("scan", rows: 10, rowsPerFile: 5, rowGroupSize: 5, ParquetCompression.Snappy);
        var scan = Frame.ReadParquet(folder);

        var reader = ParquetDenseReader.TryOpen(scan, "features", "label");

        Assert.NotNull(reader);
        Assert.Equal(10, reader.RowCount);
        Assert.Equal(2, reader.Files.Count);
        Assert.Null(ParquetDenseReader.TryOpen(scan.Select("features", "label"), "features", "label"));
        Assert.Throws<SchemaException>(() => ParquetDenseReader.TryOpen(scan, "vector", "label"));
    }

    private static double[] FeaturesOf(int id) => [id, id + 0.25, id + 0.5];

    private static (double[] Features, double[] Labels) ReadAll(ParquetDenseReader reader)
    {
        using var cursor = reader.OpenCursor();
        var position = ParquetDensePosition.Start;
        var features = new double[reader.RowCount * Width];
        var labels = new double[reader.RowCount];
        Assert.Equal(reader.RowCount, cursor.Read(ref position, features, labels));
        return (features, labels);
    }

    private static async Task<ParquetEncoding[]> LabelEncodings(string file)
    {
        await using var stream = File.OpenRead(file);
        await using var reader = await ParquetReader.CreateAsync(stream);
        return reader.Metadata!.RowGroups[0].Columns.Single(c => c.MetaData!.PathInSchema[^1] == "label").MetaData!.Encodings.ToArray();
    }

    /// <summary>Records 0..rows-1 (features <see cref="FeaturesOf"/>, label = id) in files and row groups of the given sizes.</summary>
    private string WriteVectors(string name, int rows, int rowsPerFile, int rowGroupSize, ParquetCompression compression)
    {
        var folder = _temp.Combine(name);
        var schema = new Schema([new Field("features", new ListType(new Field("item", DoubleType.Default, false)), false), new Field("label", DoubleType.Default, false)], null);
        Frame.FromRows(schema, Enumerable.Range(0, rows).Select(i => (IReadOnlyList<object?>)[FeaturesOf(i), (double)i]), batchSize: rowGroupSize)
            .WriteParquet(folder, new ParquetWriteOptions { RowGroupSize = rowGroupSize, MaxRowsPerFile = rowsPerFile, Compression = compression, DegreeOfParallelism = 1 });
        return folder;
    }

    /// <summary>One file of nullable vectors and labels in row groups of 4 rows.</summary>
    private string WriteRows(string name, IEnumerable<(double[] Features, double? Label, bool NullVector)> rows)
    {
        var folder = _temp.Combine(name);
        var schema = new Schema([new Field("features", new ListType(new Field("item", DoubleType.Default, true)), true), new Field("label", DoubleType.Default, true)], null);
        Frame.FromRows(schema, rows.Select(r => (IReadOnlyList<object?>)[r.NullVector ? null : r.Features, r.Label]), batchSize: 4)
            .WriteParquet(folder, new ParquetWriteOptions { RowGroupSize = 4, DegreeOfParallelism = 1 });
        return folder;
    }
}
