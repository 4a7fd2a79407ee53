using Apache.Arrow.Types;
using Mlops.Features.Tests.Text;

namespace Mlops.Features.Tests.Csv;

public sealed class CsvSchemaInferenceTests : IDisposable
{
    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void InfersEachTypeFromItsValues()
    {
        var path = _files.Write(
            "a.csv",
            "i,l,d,b,dt,ts,s,none\n"
            + "1,3000000000,1.5,true,2024-01-31,2024-01-31T10:00:00Z,x,\n"
            + "-2,4,2,FALSE,2024-02-01,2024-01-31 10:00:00,7,\n");
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true, InferSchema = true });
        Assert.Equal(
            ["int", "bigint", "double", "boolean", "date", "timestamp(microsecond, UTC)", "string", "string"],
            frame.Schema.FieldsList.Select(f => TypeName(f.DataType)));
        Assert.All(frame.Schema.FieldsList, f => Assert.True(f.IsNullable));
        Assert.Equal(
            [
                [1, 3000000000L, 1.5, true, new DateOnly(2024, 1, 31), FrameValues.Utc("2024-01-31T10:00:00Z"), "x", null],
                [-2, 4L, 2.0, false, new DateOnly(2024, 2, 1), FrameValues.Utc("2024-01-31T10:00:00Z"), "7", null],
            ],
            FrameValues.Rows(frame));
    }

    [Fact]
    public void HeaderShorthandInfersTypesSoTheSeedCatalogAssembles()
    {
        // The catalog the seed writes (samples/RecommendationEngine/SyntheticData.cs): quoted names with commas and quotes.
        var path = _files.Write(
            "product_catalog.csv",
            "product_id,product_name,category,product_price,in_stock\n"
            + "1,\"Item 1 \"\"Home\"\"\",\"Home, Garden\",12.50,true\n"
            + "2,Item 2,Books,7.00,false\n");

        var frame = Frame.ReadCsv(path, header: true);

        Assert.Equal(
            ["int", "string", "string", "double", "boolean"],
            frame.Schema.FieldsList.Select(f => TypeName(f.DataType)));
        Assert.IsType<DoubleType>(frame.Schema.GetFieldByName("product_price").DataType);
        var assembled = new VectorAssembler().SetInputCols("product_id", "product_price").SetOutputCol("features").Transform(frame);
        Assert.Equal(2, assembled.Count());
    }

    [Fact]
    public void StringColumnsInAVectorAssemblerNameTheColumnAndTheOption()
    {
        var path = _files.Write("product_catalog.csv", "product_id,product_price\n1,12.50\n");

        var strings = Frame.ReadCsv(path, new CsvReadOptions { Header = true });
        var error = Assert.Throws<SchemaException>(() => new VectorAssembler().SetInputCols("product_price").SetOutputCol("features").Transform(strings));

        Assert.Contains("'product_price' has unsupported type string", error.Message, StringComparison.Ordinal);
        Assert.Contains("CsvReadOptions.InferSchema = true", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1\n2147483648\n", "bigint")]
    [InlineData("1\n2.5\n", "double")]
    [InlineData("3000000000\n2.5\n", "double")]
    [InlineData("99999999999999999999\n", "double")]
    [InlineData("2024-01-01\n2024-01-01T00:00:01\n", "timestamp(microsecond, UTC)")]
    [InlineData("1\ntrue\n", "string")]
    [InlineData("2024-01-01\n5\n", "string")]
    [InlineData("true\nyes\n", "string")]
    [InlineData("2024-02-30\n", "string")]
    [InlineData("\n,\n", "int")]
    public void TypesWidenAcrossRecords(string values, string expected)
    {
        // A leading column keeps blank records from being skipped as blank lines.
        var content = string.Concat(values.Split('\n', StringSplitOptions.None).SkipLast(1).Select(v => "k," + v.TrimEnd(',') + "\n"));
        if (expected == "int")
        {
            content = "k,1\nk,\nk,\"\"\n";
        }

        var path = _files.Write("a.csv", content);
        var frame = Frame.ReadCsv(path, new CsvReadOptions { InferSchema = true });
        Assert.Equal(expected, TypeName(frame.Schema.FieldsList[1].DataType));
    }

    [Fact]
    public void NullTokensDoNotVoteAndAColumnWithoutValuesIsString()
    {
        var path = _files.Write("a.csv", "a,b\nNA,NA\n5,\n7,NA\n");
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true, InferSchema = true, NullValue = "NA" });
        Assert.IsType<Int32Type>(frame.Schema.GetFieldByName("a").DataType);
        Assert.IsType<StringType>(frame.Schema.GetFieldByName("b").DataType);
        Assert.Equal([null, 5, 7], FrameValues.Column(frame, "a"));
    }

    [Fact]
    public void TypesAreMergedAcrossFiles()
    {
        _files.Write("dir/part-0.csv", "id,v,when\n1,10,2024-01-01\n");
        _files.Write("dir/part-1.csv", "id,v,when\n2,0.5,2024-01-02T03:04:05Z\n");
        var frame = Frame.ReadCsv(Path.Combine(_files.Root, "dir"), new CsvReadOptions { Header = true, InferSchema = true });
        Assert.Equal(["int", "double", "timestamp(microsecond, UTC)"], frame.Schema.FieldsList.Select(f => TypeName(f.DataType)));
        Assert.Equal([[1, 10.0, FrameValues.Utc("2024-01-01T00:00:00Z")], [2, 0.5, FrameValues.Utc("2024-01-02T03:04:05Z")]], FrameValues.Rows(frame));
    }

    [Fact]
    public void EmptyFilesAreIgnoredWhenOthersHaveData()
    {
        _files.Write("dir/part-0.csv", string.Empty);
        _files.Write("dir/part-1.csv", "a\n1\n");
        var frame = Frame.ReadCsv(Path.Combine(_files.Root, "dir"), new CsvReadOptions { Header = true, InferSchema = true });
        Assert.Equal(["a"], frame.Columns);
        Assert.Equal([1], FrameValues.Column(frame, "a"));
    }

    [Fact]
    public void HeaderOnlyFileGivesStringColumnsAndNoRows()
    {
        var path = _files.Write("a.csv", "a,b\n");
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true, InferSchema = true });
        Assert.Equal(["a", "b"], frame.Columns);
        Assert.Equal(0, frame.Count());
    }

    [Fact]
    public void SampleLimitsInferenceAndTheErrorSaysSo()
    {
        var content = "n\n" + string.Concat(Enumerable.Range(0, 50).Select(i => $"{i}\n")) + "oops\n";
        var path = _files.Write("a.csv", content);
        var sampled = Frame.ReadCsv(path, new CsvReadOptions { Header = true, InferSchema = true, SamplingRows = 10 });
        Assert.IsType<Int32Type>(sampled.Schema.FieldsList[0].DataType);
        var e = Assert.Throws<DataFormatException>(() => sampled.Collect());
        Assert.Equal($"{path}:52, column 'n': cannot parse 'oops' as int (the schema was inferred from the first 10 records of each file; pass a schema or raise SamplingRows)", e.Message);

        var all = Frame.ReadCsv(path, new CsvReadOptions { Header = true, InferSchema = true, SamplingRows = TextReadOptions.AllRows });
        Assert.IsType<StringType>(all.Schema.FieldsList[0].DataType);
        Assert.Equal(51, all.Count());
    }

    [Fact]
    public void WithoutInferenceOnlyTheFirstRecordIsRead()
    {
        // The first record fixes the column count, as in Spark; a later wider record is malformed.
        var path = _files.Write("a.csv", "1,2\n3,4,5\n");
        var frame = Frame.ReadCsv(path);
        Assert.Equal(["_c0", "_c1"], frame.Columns);
        var e = Assert.Throws<DataFormatException>(() => frame.Collect());
        Assert.Equal(2, e.Line);
    }

    private static string TypeName(IArrowType type) => type switch
    {
        Int32Type => "int",
        Int64Type => "bigint",
        DoubleType => "double",
        BooleanType => "boolean",
        Date32Type => "date",
        TimestampType t => $"timestamp({t.Unit.ToString().ToLowerInvariant()}, {t.Timezone})",
        StringType => "string",
        _ => type.Name,
    };
}
