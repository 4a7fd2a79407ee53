using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features.Tests.Text;
using Mlops.Storage;

namespace Mlops.Features.Tests.Csv;

public sealed class CsvReadOptionsTests : IDisposable
{
    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void DefaultsAreSparksNoHeaderAndStringColumns()
    {
        var path = _files.Write("a.csv", "id,price\n1,2.5\n");
        var frame = Frame.ReadCsv(path);
        Assert.Equal(["_c0", "_c1"], frame.Columns);
        Assert.All(frame.Schema.FieldsList, f => Assert.IsType<StringType>(f.DataType));
        Assert.All(frame.Schema.FieldsList, f => Assert.True(f.IsNullable));
        Assert.Equal([["id", "price"], ["1", "2.5"]], FrameValues.Rows(frame));
    }

    [Fact]
    public void HeaderGivesNamesWithSparksFixesForEmptyAndRepeatedNames()
    {
        var path = _files.Write("a.csv", "id,,id,x\n1,2,3,4\n");
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true });
        Assert.Equal(["id0", "_c1", "id2", "x"], frame.Columns);
    }

    [Theory]
    [InlineData(';')]
    [InlineData('\t')]
    [InlineData('|')]
    public void DelimiterIsConfigurable(char delimiter)
    {
        var path = _files.Write("a.csv", $"a{delimiter}b\n\"x{delimiter}y\"{delimiter}2\n");
        var rows = FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Header = true, Delimiter = delimiter }));
        Assert.Equal([[$"x{delimiter}y", "2"]], rows);
    }

    [Fact]
    public void QuoteIsConfigurable()
    {
        var path = _files.Write("a.csv", "'a,b','it''s'\n");
        Assert.Equal([["a,b", "it's"]], FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Quote = '\'', Escape = '\'' })));
    }

    [Fact]
    public void NullValueAndNullValuesStandForNull()
    {
        var path = _files.Write("a.csv", "s,n\nNA,NA\nnull,-\n\"NA\",5\n,\n");
        var schema = Schema(("s", StringType.Default), ("n", Int32Type.Default));
        var options = new CsvReadOptions { Header = true, Schema = schema, NullValue = "NA", NullValues = ["null", "-"] };
        var rows = FrameValues.Rows(Frame.ReadCsv(path, options));

        // With NullValue changed, an unquoted empty field is an empty string in string columns, null elsewhere.
        Assert.Equal([[null, null], [null, null], [null, 5], ["", null]], rows);
    }

    [Fact]
    public void NanAndInfinityTokensAreConfigurable()
    {
        var path = _files.Write("a.csv", "x\nNaN\nInfinity\n-Infinity\nnan!\n+big\n-big\n1e308\n");
        var options = new CsvReadOptions { Header = true, InferSchema = true, NanValue = "nan!", PositiveInf = "+big", NegativeInf = "-big" };
        var frame = Frame.ReadCsv(path, options);
        Assert.IsType<DoubleType>(frame.Schema.GetFieldByName("x").DataType);
        Assert.Equal(
            [double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e308],
            FrameValues.Column(frame, "x").Cast<double>().ToList());

        // The custom tokens replace Spark's defaults "Inf" and "-Inf".
        Assert.Throws<DataFormatException>(() => Frame.ReadCsv(_files.Write("c.csv", "Inf\n"), new CsvReadOptions { PositiveInf = "+big", Schema = Schema(("x", DoubleType.Default)) }).Collect());

        // Spark's defaults: "NaN", "Inf" and "-Inf".
        var defaults = Frame.ReadCsv(_files.Write("b.csv", "Inf\n-Inf\nNaN\n"), new CsvReadOptions { InferSchema = true });
        Assert.Equal([double.PositiveInfinity, double.NegativeInfinity, double.NaN], FrameValues.Column(defaults, "_c0").Cast<double>().ToList());
    }

    [Fact]
    public void ExplicitSchemaParsesEveryType()
    {
        var path = _files.Write("a.csv", "b,i8,i16,i32,i64,f,d,s,dt,ts\ntrue,-128,32767,-5,9007199254740993,1.5,2.25e-3,txt,2024-02-29,2024-02-29T23:59:59.123456Z\nFALSE,127,-32768,+7,-1,-0.5,NaN,\"q,\",1970-01-01,1969-12-31 23:00:00-01:00\n");
        var schema = Schema(
            ("b", BooleanType.Default),
            ("i8", Int8Type.Default),
            ("i16", Int16Type.Default),
            ("i32", Int32Type.Default),
            ("i64", Int64Type.Default),
            ("f", FloatType.Default),
            ("d", DoubleType.Default),
            ("s", StringType.Default),
            ("dt", Date32Type.Default),
            ("ts", new TimestampType(TimeUnit.Microsecond, "UTC")));
        var rows = FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Header = true, Schema = schema }));
        Assert.Equal(
            [
                [true, (sbyte)-128, (short)32767, -5, 9007199254740993L, 1.5f, 2.25e-3, "txt", new DateOnly(2024, 2, 29), FrameValues.Utc("2024-02-29T23:59:59.123456Z")],
                [false, (sbyte)127, (short)-32768, 7, -1L, -0.5f, double.NaN, "q,", new DateOnly(1970, 1, 1), FrameValues.Utc("1970-01-01T00:00:00Z")],
            ],
            rows);
    }

    [Fact]
    public void TimestampsWithOffsetsBecomeUtcMicroseconds()
    {
        var path = _files.Write("a.csv", "ts\n2024-03-10T12:00:00+05:30\n2024-03-10T12:00:00.5-0800\n2024-03-10 12:00Z\n2024-03-10T12:00:00.1234567+01\n2024-03-10\n");
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true, InferSchema = true });
        var type = Assert.IsType<TimestampType>(frame.Schema.GetFieldByName("ts").DataType);
        Assert.Equal(TimeUnit.Microsecond, type.Unit);
        var batch = Assert.Single(FrameValues.Batches(frame));
        var micros = ((TimestampArray)batch.Column(0)).Values.ToArray();
        long Micros(string iso) => (DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture).UtcTicks - DateTime.UnixEpoch.Ticks) / 10;
        Assert.Equal(
            [
                Micros("2024-03-10T06:30:00Z"),
                Micros("2024-03-10T20:00:00.5Z"),
                Micros("2024-03-10T12:00:00Z"),
                Micros("2024-03-10T11:00:00.123456Z"),
                Micros("2024-03-10T00:00:00Z"),
            ],
            micros);
    }

    [Fact]
    public void TimestampColumnsMayUseAnyUnit()
    {
        var path = _files.Write("a.csv", "2001-09-09T01:46:40.123456789Z\n");
        foreach (var (unit, expected) in new[] { (TimeUnit.Second, 1_000_000_000L), (TimeUnit.Millisecond, 1_000_000_000_123L), (TimeUnit.Microsecond, 1_000_000_000_123_456L), (TimeUnit.Nanosecond, 1_000_000_000_123_456_789L) })
        {
            var frame = Frame.ReadCsv(path, new CsvReadOptions { Schema = Schema(("t", new TimestampType(unit, "UTC"))) });
            var array = (TimestampArray)Assert.Single(FrameValues.Batches(frame)).Column(0);
            Assert.Equal(expected, array.Values[0]);
        }
    }

    [Fact]
    public void CustomDateAndTimestampFormats()
    {
        var path = _files.Write("a.csv", "d,t\n31/12/2023,31/12/2023 23:59:58\n01/02/2024,01/02/2024 00:00:01\n");
        var options = new CsvReadOptions { Header = true, InferSchema = true, DateFormat = "dd/MM/yyyy", TimestampFormat = "dd/MM/yyyy HH:mm:ss" };
        var frame = Frame.ReadCsv(path, options);
        Assert.IsType<Date32Type>(frame.Schema.GetFieldByName("d").DataType);
        Assert.IsType<TimestampType>(frame.Schema.GetFieldByName("t").DataType);
        Assert.Equal(
            [[new DateOnly(2023, 12, 31), FrameValues.Utc("2023-12-31T23:59:58Z")], [new DateOnly(2024, 2, 1), FrameValues.Utc("2024-02-01T00:00:01Z")]],
            FrameValues.Rows(frame));

        var offsets = _files.Write("b.csv", "2024-01-01 10:00:00 +02:00\n");
        var withOffset = new CsvReadOptions { Schema = Schema(("t", new TimestampType(TimeUnit.Microsecond, "UTC"))), TimestampFormat = "yyyy-MM-dd HH:mm:ss zzz" };
        Assert.Equal(FrameValues.Utc("2024-01-01T08:00:00Z"), Assert.Single(FrameValues.Rows(Frame.ReadCsv(offsets, withOffset)))[0]);
    }

    [Fact]
    public void SmallBatchSizeStreamsSeveralBatches()
    {
        var path = _files.Write("a.csv", string.Concat(Enumerable.Range(0, 25).Select(i => $"{i}\n")));
        var frame = Frame.ReadCsv(path, new CsvReadOptions { InferSchema = true, BatchSize = 10 });
        var batches = FrameValues.Batches(frame);
        Assert.Equal([10, 10, 5], batches.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 25).Cast<object?>(), FrameValues.Column(frame, "_c0"));
        Assert.Equal(25, frame.Count());
    }

    [Fact]
    public void ReadingIsLazyUntilAnAction()
    {
        var path = _files.Write("a.csv", "a\n1\n");
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Schema = Schema(("a", Int32Type.Default)), Header = true });
        File.WriteAllText(path, "a\n2\n3\n");
        Assert.Equal([2, 3], FrameValues.Column(frame, "a"));
    }

    [Fact]
    public void OptionsAreCopiedWhenTheFrameIsCreated()
    {
        var path = _files.Write("a.csv", "a;b\n1;2\n");
        var options = new CsvReadOptions { Header = true, Delimiter = ';' };
        var frame = Frame.ReadCsv(path, options);
        options.Delimiter = ',';
        options.Header = false;
        Assert.Equal([["1", "2"]], FrameValues.Rows(frame));
    }

    [Fact]
    public void ResolverOptionIsUsed()
    {
        _files.Write("data/a.csv", "x\n1\n");
        var resolver = new PrefixResolver("mem://", _files.Root);
        var frame = Frame.ReadCsv("mem://data/a.csv", new CsvReadOptions { Header = true, Resolver = resolver });
        Assert.Equal([["1"]], FrameValues.Rows(frame));
        Assert.True(resolver.Calls > 0);
    }

    [Fact]
    public void InvalidOptionsAreRejected()
    {
        var path = _files.Write("a.csv", "a\n");
        Assert.Throws<ArgumentOutOfRangeException>(() => Frame.ReadCsv(path, new CsvReadOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Frame.ReadCsv(path, new CsvReadOptions { SamplingRows = 0 }));
        Assert.Throws<ArgumentException>(() => Frame.ReadCsv(path, new CsvReadOptions { Delimiter = '"' }));
        Assert.Throws<ArgumentException>(() => Frame.ReadCsv(path, new CsvReadOptions { Delimiter = '€' }));
        Assert.Throws<ArgumentException>(() => Frame.ReadCsv(path, new CsvReadOptions { Quote = '\n' }));
        Assert.Throws<ArgumentException>(() => Frame.ReadCsv(path, new CsvReadOptions { ColumnNameOfCorruptRecord = "" }));
        var e = Assert.Throws<SchemaException>(() => Frame.ReadCsv(path, new CsvReadOptions { Schema = Schema(("v", new ListType(DoubleType.Default))) }));
        Assert.Contains("'v'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxRecordBytesStopsARunawayQuote()
    {
        var path = _files.Write("a.csv", "a\n\"" + new string('x', 300_000) + "\n1\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true, MaxRecordBytes = 100_000, Mode = ReadMode.Permissive }).Collect());
        Assert.Equal(2, e.Line);
        Assert.Contains("MaxRecordBytes", e.Message, StringComparison.Ordinal);
    }

    internal static Schema Schema(params (string Name, IArrowType Type)[] fields) =>
        new(fields.Select(f => new Field(f.Name, f.Type, nullable: true)), null);

    private sealed class PrefixResolver(string prefix, string root) : StorageResolver
    {
        public int Calls { get; private set; }

        public override StorageLocation Resolve(string location)
        {
            Calls++;
            return location.StartsWith(prefix, StringComparison.Ordinal)
                ? new StorageLocation(new LocalBlobStore(root), location[prefix.Length..])
                : base.Resolve(location);
        }
    }
}
