using Apache.Arrow.Types;
using Mlops.Features.Tests.Csv;
using Mlops.Features.Tests.Text;

namespace Mlops.Features.Tests.Json;

public sealed class JsonReadModeTests : IDisposable
{
    private const string Lines =
        "{\"id\": 1, \"n\": 10}\n"
        + "{\"id\": 2, \"n\": \"ten\"}\n"
        + "{\"id\": 3, \"n\": 3\n"
        + "[1, 2]\n"
        + "{\"id\": 5, \"n\": 50} trailing\n"
        + "{\"id\": 6.5, \"n\": 60}\n"
        + "{\"id\": 7, \"n\": 70}\n";

    private static readonly Apache.Arrow.Schema DataSchema = CsvReadOptionsTests.Schema(("id", Int64Type.Default), ("n", Int64Type.Default));

    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void FailFastNamesFileLineAndColumnForAValueOfTheWrongType()
    {
        var path = _files.Write("a.jsonl", Lines);
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(path, new JsonReadOptions { Schema = DataSchema }).Collect());
        Assert.Equal($"{path}:2, column 'n': cannot read the string 'ten' as bigint", e.Message);
    }

    [Fact]
    public void InvalidJsonIncludesTheReadersMessageAndBytePosition()
    {
        var path = _files.Write("a.jsonl", "{\"id\": 1}\n\n{\"id\": 2, \"n\": tru}\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(path, new JsonReadOptions { Schema = DataSchema }).Collect());
        Assert.StartsWith($"{path}:3: invalid JSON at byte 18 of the line: '", e.Message, StringComparison.Ordinal);
        Assert.Contains("is an invalid JSON literal", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void UnclosedObjectAndTrailingTextAreInvalid()
    {
        var unclosed = _files.Write("a.jsonl", "{\"id\": 3, \"n\": 3\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(unclosed, new JsonReadOptions { Schema = DataSchema }).Collect());
        Assert.StartsWith($"{unclosed}:1: invalid JSON at byte ", e.Message, StringComparison.Ordinal);

        var trailing = _files.Write("b.jsonl", "{\"id\": 5} x\n");
        var e2 = Assert.Throws<DataFormatException>(() => Frame.ReadJson(trailing, new JsonReadOptions { Schema = DataSchema }).Collect());
        Assert.StartsWith($"{trailing}:1: invalid JSON at byte 10 of the line: ", e2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALineThatIsNotAnObjectIsMalformed()
    {
        var path = _files.Write("a.jsonl", "{\"id\": 1}\n[1, 2]\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(path, new JsonReadOptions { Schema = DataSchema }).Collect());
        Assert.Equal($"{path}:2: a JSON line must be an object, but this line holds an array", e.Message);

        // During inference too.
        var e2 = Assert.Throws<DataFormatException>(() => Frame.ReadJson(_files.Write("b.jsonl", "{\"id\": 1}\n42\n")));
        Assert.EndsWith("b.jsonl:2: a JSON line must be an object, but this line holds a number", e2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VectorColumnsRejectNonNumbers()
    {
        var schema = CsvReadOptionsTests.Schema(("v", new ListType(DoubleType.Default)));
        var path = _files.Write("a.jsonl", "{\"v\": [1, null]}\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(path, new JsonReadOptions { Schema = schema }).Collect());
        Assert.Equal($"{path}:1, column 'v': cannot read an array that is not all numbers, '[1, null]', as array<double>", e.Message);
    }

    [Fact]
    public void DropMalformedKeepsOnlyValidLines()
    {
        var path = _files.Write("a.jsonl", Lines);
        var frame = Frame.ReadJson(path, new JsonReadOptions { Schema = DataSchema, Mode = ReadMode.DropMalformed });
        Assert.Equal([[1L, 10L], [7L, 70L]], FrameValues.Rows(frame));
    }

    [Fact]
    public void PermissiveKeepsFieldsThatParseAndTheRawLine()
    {
        var path = _files.Write("a.jsonl", Lines);
        var schema = CsvReadOptionsTests.Schema(("id", Int64Type.Default), ("n", Int64Type.Default), ("_corrupt_record", StringType.Default));
        var frame = Frame.ReadJson(path, new JsonReadOptions { Schema = schema, Mode = ReadMode.Permissive });
        Assert.Equal(
            [
                [1L, 10L, null],
                [2L, null, "{\"id\": 2, \"n\": \"ten\"}"],
                [null, null, "{\"id\": 3, \"n\": 3"],
                [null, null, "[1, 2]"],
                [null, null, "{\"id\": 5, \"n\": 50} trailing"],
                [null, 60L, "{\"id\": 6.5, \"n\": 60}"],
                [7L, 70L, null],
            ],
            FrameValues.Rows(frame));
    }

    [Fact]
    public void PermissiveInferenceAddsTheCorruptColumnWhenTheSampleHasMalformedLines()
    {
        var path = _files.Write("a.jsonl", "{\"b\": 1}\nnot json\n{\"a\": \"x\"}\n");
        var frame = Frame.ReadJson(path, new JsonReadOptions { Mode = ReadMode.Permissive });
        Assert.Equal(["_corrupt_record", "a", "b"], frame.Columns);
        Assert.Equal([[null, null, 1L], ["not json", null, null], [null, "x", null]], FrameValues.Rows(frame));

        var clean = Frame.ReadJson(_files.Write("b.jsonl", "{\"b\": 1}\n"), new JsonReadOptions { Mode = ReadMode.Permissive });
        Assert.Equal(["b"], clean.Columns);
    }

    [Fact]
    public void DropMalformedInferenceIgnoresMalformedLines()
    {
        var path = _files.Write("a.jsonl", "{\"b\": 1}\n{\"b\": \"x\"\n");
        var frame = Frame.ReadJson(path, new JsonReadOptions { Mode = ReadMode.DropMalformed });
        Assert.Equal(["b"], frame.Columns);
        Assert.IsType<Int64Type>(frame.Schema.FieldsList[0].DataType);
        Assert.Equal([1L], FrameValues.Column(frame, "b"));
    }

    [Fact]
    public void SampledSchemaErrorSaysTheSchemaWasInferred()
    {
        var path = _files.Write("a.jsonl", "{\"n\": 1}\n{\"n\": 2}\n{\"n\": \"three\"}\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(path, new JsonReadOptions { SamplingRows = 2 }).Collect());
        Assert.Equal($"{path}:3, column 'n': cannot read the string 'three' as bigint (the schema was inferred from the first 2 records of each file; pass a schema or raise SamplingRows)", e.Message);
    }

    [Fact]
    public void CorruptColumnNameIsConfigurable()
    {
        var path = _files.Write("a.jsonl", "{\"a\": 1}\n{oops}\n");
        var frame = Frame.ReadJson(path, new JsonReadOptions { Mode = ReadMode.Permissive, ColumnNameOfCorruptRecord = "bad_line" });
        Assert.Equal(["a", "bad_line"], frame.Columns);
        Assert.Equal([[1L, null], [null, "{oops}"]], FrameValues.Rows(frame));
    }
}
