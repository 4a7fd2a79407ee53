using Apache.Arrow.Types;
using Mlops.Features.Tests.Text;

namespace Mlops.Features.Tests.Csv;

/// <summary>Every malformed-input error names the file, the line where the record starts, and the column.</summary>
public sealed class CsvErrorMessageTests : IDisposable
{
    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void TooFewFields()
    {
        var path = _files.Write("a.csv", "a,b,c\n1,2,3\n4,5\n");
        var e = Read(path);
        Assert.Equal($"{path}:3, column 'c': the record has 2 fields but the schema has 3 columns; 'c' and later columns are missing.", e.Message);
    }

    [Fact]
    public void TooManyFields()
    {
        var path = _files.Write("a.csv", "a,b\n\"1\n1\",2,3\n");
        var e = Read(path);
        Assert.Equal($"{path}:2, column 'b': the record has 3 fields but the schema has 2 columns; extra text after this column: '3'.", e.Message);
    }

    [Fact]
    public void ValueThatDoesNotParseNamesValueTypeAndColumn()
    {
        var path = _files.Write("a.csv", "when,n\n2024-01-01,1\n2024-13-01,2\n");
        var schema = CsvReadOptionsTests.Schema(("when", Date32Type.Default), ("n", Int8Type.Default));
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true, Schema = schema }).Collect());
        Assert.Equal($"{path}:3, column 'when': cannot parse '2024-13-01' as date (expected yyyy-MM-dd)", e.Message);
        Assert.Equal(3, e.Line);
        Assert.Equal("when", e.Column);

        var overflow = _files.Write("b.csv", "when,n\n2024-01-01,128\n");
        var e2 = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(overflow, new CsvReadOptions { Header = true, Schema = schema }).Collect());
        Assert.Equal($"{overflow}:2, column 'n': cannot parse '128' as tinyint", e2.Message);
    }

    [Fact]
    public void UnterminatedQuoteAtEndOfFile()
    {
        var path = _files.Write("a.csv", "a,b\n1,2\n3,\"never\nclosed\n");
        var e = Read(path);
        Assert.Equal($"{path}:3, column 'b': unterminated quoted field: the closing \" is missing, so the field runs to the end of the file", e.Message);
    }

    [Fact]
    public void TextAfterClosingQuote()
    {
        var path = _files.Write("a.csv", "a,b\n\"x\"y,2\n");
        var e = Read(path);
        Assert.Equal($"{path}:2, column 'a': unexpected character 'y' after the closing quote of a quoted field; a quote inside a quoted field must be escaped by doubling it (\"\")", e.Message);
    }

    [Fact]
    public void HeaderNamesThatDifferFromTheSchema()
    {
        var path = _files.Write("a.csv", "id,price\n1,2\n");
        var schema = CsvReadOptionsTests.Schema(("id", Int32Type.Default), ("cost", DoubleType.Default));
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true, Schema = schema }).Collect());
        Assert.Equal($"{path}:1, column 'cost': the header names column 2 'price' but the schema calls it 'cost'; the header must list the schema's columns in order (id, cost).", e.Message);
    }

    [Fact]
    public void HeaderWithMoreOrFewerColumnsThanTheSchema()
    {
        var path = _files.Write("a.csv", "# note\nid\n1\n");
        var schema = CsvReadOptionsTests.Schema(("id", Int32Type.Default), ("cost", DoubleType.Default));
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true, Schema = schema, Comment = '#' }).Collect());
        Assert.Equal($"{path}:2, column 'cost': the header has 1 columns but the schema has 2 (id, cost); 'cost' is missing.", e.Message);

        var wide = _files.Write("b.csv", "id,cost,extra\n");
        var e2 = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(wide, new CsvReadOptions { Header = true, Schema = schema }).Collect());
        Assert.Equal($"{wide}:1, column 'extra': the header has 3 columns but the schema has 2 (id, cost); 'extra' is extra.", e2.Message);
    }

    [Fact]
    public void HeadersThatDifferBetweenFiles()
    {
        _files.Write("dir/a.csv", "id,v\n1,2\n");
        var second = _files.Write("dir/b.csv", "id,w\n3,4\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(Path.Combine(_files.Root, "dir"), new CsvReadOptions { Header = true, InferSchema = true }));
        Assert.StartsWith($"{second}:1, column 'v': the header (id, w) differs from that of {Path.Combine(_files.Root, "dir", "a.csv")} (id, v)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    public void EmptyInputWithoutSchema(string content)
    {
        var path = _files.Write("a.csv", content);
        foreach (var infer in new[] { false, true })
        {
            var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { InferSchema = infer }));
            Assert.Equal($"{path}:1: cannot infer a schema from an empty file; pass a schema", e.Message);
        }

        // With a schema an empty file is simply an empty frame.
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Schema = CsvReadOptionsTests.Schema(("a", Int32Type.Default)), Header = true });
        Assert.Equal(0, frame.Count());
    }

    private static DataFormatException Read(string path) =>
        Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true }).Collect());
}
