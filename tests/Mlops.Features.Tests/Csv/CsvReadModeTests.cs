using Apache.Arrow.Types;
using Mlops.Features.Tests.Text;

namespace Mlops.Features.Tests.Csv;

public sealed class CsvReadModeTests : IDisposable
{
    private const string Malformed = "id,n\n1,10\n2,x\n3\n4,40,extra\n5,\"unclosed\n";

    private static readonly Apache.Arrow.Schema DataSchema = CsvReadOptionsTests.Schema(("id", Int32Type.Default), ("n", Int32Type.Default));

    private static readonly Apache.Arrow.Schema WithCorrupt = CsvReadOptionsTests.Schema(("id", Int32Type.Default), ("n", Int32Type.Default), ("_corrupt_record", StringType.Default));

    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void FailFastIsTheDefaultAndStopsAtTheFirstMalformedRecord()
    {
        var path = _files.Write("a.csv", Malformed);
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true, Schema = DataSchema }).Collect());
        Assert.Equal($"{path}:3, column 'n': cannot parse 'x' as int", e.Message);
        Assert.Equal(path, e.SourceName);
        Assert.Equal("n", e.Column);
    }

    [Fact]
    public void DropMalformedKeepsOnlyWellFormedRecords()
    {
        var path = _files.Write("a.csv", Malformed);
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true, Schema = DataSchema, Mode = ReadMode.DropMalformed });
        Assert.Equal([[1, 10]], FrameValues.Rows(frame));
    }

    [Fact]
    public void DropMalformedAcrossBatchesKeepsOrder()
    {
        var content = "v\n" + string.Concat(Enumerable.Range(0, 100).Select(i => i % 7 == 3 ? "bad\n" : $"{i}\n"));
        var path = _files.Write("a.csv", content);
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true, Schema = CsvReadOptionsTests.Schema(("v", Int32Type.Default)), Mode = ReadMode.DropMalformed, BatchSize = 8 });
        Assert.Equal(Enumerable.Range(0, 100).Where(i => i % 7 != 3).Cast<object?>(), FrameValues.Column(frame, "v"));
    }

    [Fact]
    public void PermissiveKeepsWhatParsesAndPutsRawTextInTheCorruptColumn()
    {
        var path = _files.Write("a.csv", Malformed);
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true, Schema = WithCorrupt, Mode = ReadMode.Permissive });
        Assert.Equal(["id", "n", "_corrupt_record"], frame.Columns);
        Assert.Equal(
            [
                [1, 10, null],
                [2, null, "2,x"],
                [3, null, "3"],
                [4, 40, "4,40,extra"],
                [5, null, "5,\"unclosed\n"],
            ],
            FrameValues.Rows(frame));
    }

    [Fact]
    public void PermissiveWithoutCorruptColumnKeepsRowsWithNulls()
    {
        var path = _files.Write("a.csv", Malformed);
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true, Schema = DataSchema, Mode = ReadMode.Permissive });
        Assert.Equal([[1, 10], [2, null], [3, null], [4, 40], [5, null]], FrameValues.Rows(frame));
    }

    [Fact]
    public void CorruptColumnNameIsConfigurableAndMayBeAnywhere()
    {
        var path = _files.Write("a.csv", "1,x\n");
        var schema = CsvReadOptionsTests.Schema(("bad", StringType.Default), ("id", Int32Type.Default), ("n", Int32Type.Default));
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Schema = schema, Mode = ReadMode.Permissive, ColumnNameOfCorruptRecord = "bad" });
        Assert.Equal([["1,x", 1, null]], FrameValues.Rows(frame));
    }

    [Fact]
    public void CorruptColumnMustBeAString()
    {
        var path = _files.Write("a.csv", "1\n");
        var schema = CsvReadOptionsTests.Schema(("id", Int32Type.Default), ("_corrupt_record", Int32Type.Default));
        var e = Assert.Throws<SchemaException>(() => Frame.ReadCsv(path, new CsvReadOptions { Schema = schema, Mode = ReadMode.Permissive }));
        Assert.Contains("'_corrupt_record' must be a string column", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptColumnIsNullForWellFormedRecordsInEveryMode()
    {
        var path = _files.Write("a.csv", "1,2\n");
        foreach (var mode in Enum.GetValues<ReadMode>())
        {
            var frame = Frame.ReadCsv(path, new CsvReadOptions { Schema = WithCorrupt, Mode = mode });
            Assert.Equal([[1, 2, null]], FrameValues.Rows(frame));
        }
    }
}
