using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features.Tests.Csv;
using Mlops.Features.Tests.Text;

namespace Mlops.Features.Tests.Json;

public sealed class JsonReadTests : IDisposable
{
    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void InfersTypesWithColumnsSortedByName()
    {
        var path = _files.Write(
            "a.jsonl",
            """
            {"user_id": 1, "name": "ann", "score": 0.5, "active": true, "tags": ["a", "b"], "vec": [1, 2.5], "address": {"city": "Oslo", "zip": "0150"}, "nothing": null}
            {"user_id": 2, "name": "bob", "score": 3, "active": false, "tags": [], "vec": [], "address": null, "nothing": null}
            """);
        var frame = Frame.ReadJson(path);
        Assert.Equal(["active", "address", "name", "nothing", "score", "tags", "user_id", "vec"], frame.Columns);
        Assert.Equal(
            ["boolean", "string", "string", "string", "double", "string", "bigint", "array<double>"],
            frame.Schema.FieldsList.Select(f => TypeName(f.DataType)));
        var rows = FrameValues.Rows(frame);
        Assert.Equal([true, """{"city": "Oslo", "zip": "0150"}""", "ann", null, 0.5, """["a", "b"]""", 1L, new[] { 1.0, 2.5 }], rows[0]);
        Assert.Equal([false, null, "bob", null, 3.0, "[]", 2L, System.Array.Empty<double>()], rows[1]);
    }

    [Fact]
    public void MissingFieldsAreNullAndDuplicateKeysKeepTheLastValue()
    {
        var path = _files.Write("a.jsonl", "{\"a\": 1, \"b\": \"x\"}\n{\"b\": \"y\"}\n{\"a\": 2, \"a\": 3}\n{}\n");
        var frame = Frame.ReadJson(path);
        Assert.Equal([[1L, "x"], [null, "y"], [3L, null], [null, null]], FrameValues.Rows(frame));
    }

    [Fact]
    public void BlankLinesAndCrlfAreHandled()
    {
        var path = _files.Write("a.jsonl", "\n{\"a\": 1}\r\n   \r\n\t\n{\"a\": 2}\r\n\n");
        Assert.Equal([1L, 2L], FrameValues.Column(Frame.ReadJson(path), "a"));
    }

    [Fact]
    public void LastLineWithoutNewlineIsRead()
    {
        var path = _files.Write("a.jsonl", "{\"a\": 1}\n{\"a\": 2}");
        Assert.Equal([1L, 2L], FrameValues.Column(Frame.ReadJson(path), "a"));
    }

    [Fact]
    public void EscapedStringsAndKeysAreUnescaped()
    {
        var path = _files.Write("a.jsonl", "{\"t\\u0065xt\": \"line\\nbreak \\\"q\\\" \\u00e9 \\ud83d\\ude42\", \"plain\": \"ok\"}\n{\"plain\": \"caf\u00e9\", \"text\": \"\\\\\"}\n");
        var frame = Frame.ReadJson(path);
        Assert.Equal(["plain", "text"], frame.Columns);
        Assert.Equal([["ok", "line\nbreak \"q\" é 🙂"], ["café", "\\"]], FrameValues.Rows(frame));
    }

    [Fact]
    public void KeysInAnyOrderAndUnknownKeysAreIgnored()
    {
        var schema = CsvReadOptionsTests.Schema(("a", Int64Type.Default), ("b", StringType.Default), ("c", DoubleType.Default));
        var path = _files.Write(
            "a.jsonl",
            "{\"a\": 1, \"b\": \"x\", \"c\": 1.5}\n{\"c\": 2.5, \"zzz\": {\"deep\": [1, {\"x\": 2}]}, \"a\": 2, \"b\": \"y\"}\n{\"b\": \"z\", \"extra\": [1], \"a\": 3}\n{\"a\": 4, \"b\": \"w\", \"c\": 4}\n");
        var frame = Frame.ReadJson(path, new JsonReadOptions { Schema = schema });
        Assert.Equal([[1L, "x", 1.5], [2L, "y", 2.5], [3L, "z", null], [4L, "w", 4.0]], FrameValues.Rows(frame));
    }

    [Fact]
    public void TypesWidenAcrossLinesAndFiles()
    {
        _files.Write("dir/part-0.jsonl", "{\"n\": 1, \"mixed\": 1, \"v\": [1], \"o\": {\"a\": 1}}\n");
        _files.Write("dir/part-1.jsonl", "{\"n\": 1.5, \"mixed\": \"one\", \"v\": [\"x\"], \"o\": [1], \"late\": true}\n{\"n\": 12345678901234567890}\n");
        var frame = Frame.ReadJson(Path.Combine(_files.Root, "dir"));
        Assert.Equal(["late", "mixed", "n", "o", "v"], frame.Columns);
        Assert.Equal(["boolean", "string", "double", "string", "string"], frame.Schema.FieldsList.Select(f => TypeName(f.DataType)));
        Assert.Equal(
            [
                [null, "1", 1.0, """{"a": 1}""", "[1]"],
                [true, "one", 1.5, "[1]", """["x"]"""],
                [null, null, 12345678901234567890.0, null, null],
            ],
            FrameValues.Rows(frame));
    }

    [Fact]
    public void ExplicitSchemaParsesDatesTimestampsAndNarrowTypes()
    {
        var schema = CsvReadOptionsTests.Schema(
            ("d", Date32Type.Default),
            ("t", new TimestampType(TimeUnit.Microsecond, "UTC")),
            ("epoch", new TimestampType(TimeUnit.Millisecond, "UTC")),
            ("i", Int32Type.Default),
            ("s", Int16Type.Default),
            ("f", FloatType.Default),
            ("x", DoubleType.Default),
            ("label", StringType.Default),
            ("v", new ListType(DoubleType.Default)));
        var path = _files.Write(
            "a.jsonl",
            """
            {"d": "2024-02-29", "t": "2024-02-29T10:00:00.25+02:00", "epoch": 1700000000, "i": -7, "s": 300, "f": 0.25, "x": "NaN", "label": 42, "v": [0, -1e-3]}
            {"d": null, "t": "2024-03-01 00:00:00", "epoch": null, "i": 2147483647, "s": -1, "f": 1e2, "x": "-Infinity", "label": true, "v": null}
            """);
        var rows = FrameValues.Rows(Frame.ReadJson(path, new JsonReadOptions { Schema = schema }));
        Assert.Equal(
            [
                [new DateOnly(2024, 2, 29), FrameValues.Utc("2024-02-29T08:00:00.25Z"), DateTime.UnixEpoch.AddSeconds(1_700_000_000), -7, (short)300, 0.25f, double.NaN, "42", new[] { 0.0, -1e-3 }],
                [null, FrameValues.Utc("2024-03-01T00:00:00Z"), null, int.MaxValue, (short)-1, 100f, double.NegativeInfinity, "true", null],
            ],
            rows);
    }

    [Fact]
    public void CustomTemporalFormats()
    {
        var schema = CsvReadOptionsTests.Schema(("d", Date32Type.Default), ("t", new TimestampType(TimeUnit.Microsecond, "UTC")));
        var path = _files.Write("a.jsonl", "{\"d\": \"12/31/2023\", \"t\": \"2023.12.31 23:59\"}\n");
        var rows = FrameValues.Rows(Frame.ReadJson(path, new JsonReadOptions { Schema = schema, DateFormat = "MM/dd/yyyy", TimestampFormat = "yyyy.MM.dd HH:mm" }));
        Assert.Equal([[new DateOnly(2023, 12, 31), FrameValues.Utc("2023-12-31T23:59:00Z")]], rows);
    }

    [Fact]
    public void SmallBatchSizeStreamsSeveralBatches()
    {
        var path = _files.Write("a.jsonl", string.Concat(Enumerable.Range(0, 23).Select(i => $"{{\"i\": {i}, \"s\": \"v{i}\"}}\n")));
        var frame = Frame.ReadJson(path, new JsonReadOptions { BatchSize = 5 });
        Assert.Equal([5, 5, 5, 5, 3], FrameValues.Batches(frame).Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 23).Select(i => (object?)(long)i), FrameValues.Column(frame, "i"));
        Assert.Equal(Enumerable.Range(0, 23).Select(i => (object?)$"v{i}"), FrameValues.Column(frame, "s"));
    }

    [Fact]
    public void FolderGlobAndGzip()
    {
        _files.Write("users/part-0.jsonl", "{\"id\": 1}\n");
        _files.WriteGzip("users/part-1.jsonl.gz", "{\"id\": 2}\n{\"id\": 3}\n");
        _files.Write("users/_SUCCESS", string.Empty);
        Assert.Equal([1L, 2L, 3L], FrameValues.Column(Frame.ReadJson(Path.Combine(_files.Root, "users")), "id"));
        Assert.Equal([2L, 3L], FrameValues.Column(Frame.ReadJson(Path.Combine(_files.Root, "users", "*.gz")), "id"));
    }

    [Fact]
    public void LongLinesSpanningBufferRefillsAreRead()
    {
        var random = new Random(7);
        var expected = new List<string>();
        var sb = new System.Text.StringBuilder();
        while (sb.Length < 3_000_000)
        {
            var text = new string((char)('a' + random.Next(26)), random.Next(1, 20_000));
            expected.Add(text);
            sb.Append("{\"t\": \"").Append(text).Append("\"}\n");
        }

        var path = _files.Write("a.jsonl", sb.ToString());
        Assert.Equal(expected.Cast<object?>(), FrameValues.Column(Frame.ReadJson(path), "t"));
    }

    [Fact]
    public void EmptyInputWithoutSchemaFails()
    {
        var path = _files.Write("a.jsonl", "\n  \n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(path));
        Assert.Equal($"{path}:1: cannot infer a schema from an empty file; pass a schema", e.Message);
        var schema = CsvReadOptionsTests.Schema(("a", Int64Type.Default));
        Assert.Equal(0, Frame.ReadJson(path, new JsonReadOptions { Schema = schema }).Count());
    }

    [Fact]
    public void SchemaWithUnsupportedTypeIsRejected()
    {
        var path = _files.Write("a.jsonl", "{}\n");
        var schema = new Schema([new Field("b", BinaryType.Default, true)], null);
        var e = Assert.Throws<SchemaException>(() => Frame.ReadJson(path, new JsonReadOptions { Schema = schema }));
        Assert.Contains("Column 'b' has type", e.Message, StringComparison.Ordinal);
    }

    internal static string TypeName(IArrowType type) => type switch
    {
        Int64Type => "bigint",
        DoubleType => "double",
        BooleanType => "boolean",
        StringType => "string",
        ListType { ValueDataType: DoubleType } => "array<double>",
        _ => type.Name,
    };
}
