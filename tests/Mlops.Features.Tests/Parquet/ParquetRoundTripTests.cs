using System.Text.RegularExpressions;
using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet;

namespace Mlops.Features.Tests.Parquet;

public sealed class ParquetRoundTripTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void EveryTypeRoundTripsAcrossRowGroupsAndFiles()
    {
        var frame = ParquetTestData.AllTypesFrame(5000, seed: 1, batchSize: 900);
        var output = _temp.Combine("all");

        var result = frame.WriteParquet(output, new ParquetWriteOptions { RowGroupSize = 700, MaxRowsPerFile = 2000, DegreeOfParallelism = 2 });

        Assert.Equal(5000, result.Rows);
        Assert.True(result.Files.Count >= 3, $"expected at least 3 files, got {result.Files.Count}");
        Assert.Equal(result.Files.Sum(f => new FileInfo(f).Length), result.Bytes);
        var back = Frame.ReadParquet(output);
        Assert.Equal(5000, back.EstimatedRowCount);
        Assert.True(back.PartitionCount >= 8, $"one partition per row group expected, got {back.PartitionCount}");
        Assert.Equal(frame.Columns, back.Columns);
        ParquetTestData.AssertSameRows(frame.Collect(), back.Collect(), "id");
    }

    [Fact]
    public void ReadTypesAreTheDocumentedArrowTypes()
    {
        var output = _temp.Combine("types");
        ParquetTestData.AllTypesFrame(10, seed: 2, batchSize: 10).WriteParquet(output);

        var schema = Frame.ReadParquet(output).Schema;

        Assert.False(schema.GetFieldByName("id").IsNullable);
        Assert.True(schema.GetFieldByName("s").IsNullable);
        Assert.IsType<Int8Type>(schema.GetFieldByName("i8").DataType);
        Assert.IsType<UInt64Type>(schema.GetFieldByName("u64").DataType);
        Assert.IsType<Date32Type>(schema.GetFieldByName("dt").DataType);
        var ts = Assert.IsType<TimestampType>(schema.GetFieldByName("ts").DataType);
        Assert.Equal(TimeUnit.Microsecond, ts.Unit);
        Assert.Equal("UTC", ts.Timezone);
        var list = Assert.IsType<ListType>(schema.GetFieldByName("v").DataType);
        Assert.IsType<DoubleType>(list.ValueDataType);
    }

    [Fact]
    public void WriterHonoursRowGroupSizeAndNamesFilesLikeSpark()
    {
        var frame = ParquetTestData.AllTypesFrame(2500, seed: 3, batchSize: 2500);
        var output = _temp.Combine("layout");

        var result = frame.WriteParquet(output, new ParquetWriteOptions { RowGroupSize = 1000, DegreeOfParallelism = 1 });

        var file = Assert.Single(result.Files);
        Assert.Matches(new Regex(@"part-00000-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-c000\.snappy\.parquet$"), file);
        Assert.True(File.Exists(Path.Combine(output, "_SUCCESS")));
        Assert.Equal(new[] { 1000L, 1000L, 500L }, RowGroupSizes(file));
    }

    [Fact]
    public void EachWorkerOwnsOnePartFile()
    {
        // Eight partitions, two workers: two files, each with several row groups.
        var frame = ParquetTestData.AllTypesFrame(4000, seed: 4, batchSize: 500);
        var output = _temp.Combine("workers");

        var result = frame.WriteParquet(output, new ParquetWriteOptions { DegreeOfParallelism = 2, RowGroupSize = 600 });

        Assert.Equal(2, result.Files.Count);
        Assert.Equal(4000, result.Files.Sum(f => RowGroupSizes(f).Sum()));
        Assert.All(result.Files, f => Assert.True(RowGroupSizes(f).Length > 1));
    }

    [Theory]
    [InlineData(ParquetCompression.None)]
    [InlineData(ParquetCompression.Snappy)]
    [InlineData(ParquetCompression.Gzip)]
    [InlineData(ParquetCompression.Zstd)]
    [InlineData(ParquetCompression.Lz4)]
    [InlineData(ParquetCompression.Brotli)]
    public void EveryCodecRoundTrips(ParquetCompression codec)
    {
        var frame = ParquetTestData.AllTypesFrame(300, seed: 5, batchSize: 300);
        var output = _temp.Combine(codec.ToString());

        var result = frame.WriteParquet(output, new ParquetWriteOptions { Compression = codec });

        Assert.All(result.Files, f => Assert.EndsWith(codec == ParquetCompression.None ? "c000.parquet" : ".parquet", f));
        ParquetTestData.AssertSameRows(frame.Collect(), Frame.ReadParquet(output).Collect(), "id");
    }

    [Fact]
    public void ProjectionReturnsOnlyTheRequestedColumnsInTheirOrder()
    {
        var frame = ParquetTestData.AllTypesFrame(400, seed: 6, batchSize: 200);
        var output = _temp.Combine("projection");
        frame.WriteParquet(output);

        var back = Frame.ReadParquet(output, new ParquetReadOptions { Columns = ["v", "id", "s"] });

        Assert.Equal(new[] { "v", "id", "s" }, back.Columns);
        ParquetTestData.AssertSameRows(frame.Select("v", "id", "s").Collect(), back.Collect(), "id");
    }

    [Fact]
    public void FieldAndSchemaMetadataSurviveARoundTrip()
    {
        var slots = new Dictionary<string, string> { ["ml_attr"] = "{\"slots\":[\"user_age\",\"product_price\",\"click_duration\"]}" };
        var schema = new Schema(ParquetTestData.AllTypesSchema(slots).FieldsList, new Dictionary<string, string> { ["origin"] = "unit test" });
        var output = _temp.Combine("metadata");
        Frame.FromRows(schema, ParquetTestData.AllTypesRows(50, seed: 7)).WriteParquet(output);

        var back = Frame.ReadParquet(output, new ParquetReadOptions { Columns = ["id", "v"] });

        Assert.Equal(slots, back.Schema.GetFieldByName("v").Metadata);
        Assert.False(back.Schema.GetFieldByName("id").HasMetadata);
        Assert.Equal("unit test", back.Schema.Metadata["origin"]);
    }

    [Fact]
    public void TimestampUnitsAreNormalisedToMicroseconds()
    {
        var instants = new[] { new DateTime(1969, 7, 20, 20, 17, 40, DateTimeKind.Utc), new DateTime(2024, 2, 29, 23, 59, 59, 123, DateTimeKind.Utc).AddTicks(4560) };
        var schema = new Schema(
            [
                new Field("id", Int64Type.Default, false),
                new Field("s", new TimestampType(TimeUnit.Second, (string?)null), true),
                new Field("ms", new TimestampType(TimeUnit.Millisecond, (string?)null), true),
                new Field("us", new TimestampType(TimeUnit.Microsecond, "UTC"), true),
                new Field("ns", new TimestampType(TimeUnit.Nanosecond, "UTC"), true),
            ],
            null);
        var rows = instants.Select((t, i) => (IReadOnlyList<object?>)new object?[] { (long)i, t, t, t, t }).Append([2L, null, null, null, null]);
        var output = _temp.Combine("units");
        Frame.FromRows(schema, rows).WriteParquet(output);

        var back = Frame.ReadParquet(output).Collect().OrderBy(r => (long)r["id"]!).ToList();

        Assert.All(back[0].Values.Skip(1), v => Assert.Equal(instants[0], v));
        Assert.Equal(TruncateTo(instants[1], TimeSpan.TicksPerSecond), back[1]["s"]);
        Assert.Equal(TruncateTo(instants[1], TimeSpan.TicksPerMillisecond), back[1]["ms"]);
        Assert.Equal(instants[1], back[1]["us"]);
        Assert.Equal(instants[1], back[1]["ns"]);
        Assert.All(back[2].Values.Skip(1), Assert.Null);
    }

    [Fact]
    public void ListsWithNullElementsRoundTrip()
    {
        // Built by hand: the row builders cannot express a null element inside a list.
        var values = new DoubleArray.Builder().Append(1.5).AppendNull().Append(double.NaN).Append(-2).Build();
        var offsets = new ArrowBuffer.Builder<int>().Append(0).Append(3).Append(3).Append(3).Append(4).Build();
        var validity = new ArrowBuffer.BitmapBuilder().Append(true).Append(true).Append(false).Append(true).Build();
        var type = new ListType(new Field("item", DoubleType.Default, true));
        var list = new ListArray(type, 4, offsets, values, validity, 1);
        var ids = new Int64Array.Builder().AppendRange([0, 1, 2, 3]).Build();
        var schema = new Schema([new Field("id", Int64Type.Default, false), new Field("v", type, true)], null);
        var frame = Frame.FromBatches(new RecordBatch(schema, [ids, list], 4));
        var output = _temp.Combine("null-elements");
        frame.WriteParquet(output);

        var back = Frame.ReadParquet(output);
        var column = (ListArray)back.Materialize().ReadBatches().Single().Column(1);

        Assert.Equal(3, column.GetValueLength(0));
        var elements = (DoubleArray)column.Values;
        Assert.Equal(1.5, elements.GetValue(column.ValueOffsets[0]));
        Assert.Null(elements.GetValue(column.ValueOffsets[0] + 1));
        Assert.True(double.IsNaN(elements.GetValue(column.ValueOffsets[0] + 2)!.Value));
        Assert.Equal(0, column.GetValueLength(1));
        Assert.True(column.IsValid(1));
        Assert.True(column.IsNull(2));
        Assert.Equal(-2, elements.GetValue(column.ValueOffsets[3]));
    }

    [Fact]
    public void EmptyFrameWritesOneFileThatKeepsTheSchema()
    {
        var schema = ParquetTestData.AllTypesSchema();
        var output = _temp.Combine("empty");

        var result = Frame.Empty(schema).WriteParquet(output);

        Assert.Single(result.Files);
        Assert.Equal(0, result.Rows);
        var back = Frame.ReadParquet(output);
        Assert.Equal(schema.FieldsList.Select(f => f.Name), back.Columns);
        Assert.Equal(0, back.Count());
        Assert.Equal(0, back.PartitionCount);
    }

    [Fact]
    public void ReadsASingleFileOfAnyNameAndAGlob()
    {
        var output = _temp.Combine("single");
        var frame = ParquetTestData.AllTypesFrame(100, seed: 8, batchSize: 100);
        var file = frame.WriteParquet(output).Files.Single();
        var renamed = _temp.Combine("data.bin");
        File.Copy(file, renamed);

        Assert.Equal(100, Frame.ReadParquet(renamed).Count());
        Assert.Equal(100, Frame.ReadParquet(output + "/*.parquet").Count());
    }

    private static long[] RowGroupSizes(string file)
    {
        using var stream = File.OpenRead(file);
        var reader = ParquetReader.CreateAsync(stream).GetAwaiter().GetResult();
        var sizes = reader.Metadata!.RowGroups.Select(g => g.NumRows).ToArray();
        reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return sizes;
    }

    private static DateTime TruncateTo(DateTime value, long ticks) => new(value.Ticks - (value.Ticks % ticks), DateTimeKind.Utc);
}
