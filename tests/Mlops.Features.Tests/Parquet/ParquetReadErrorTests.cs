using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Storage;

namespace Mlops.Features.Tests.Parquet;

/// <summary>Bad input is answered with an exception that names the file, the column and, for data, the row group.</summary>
public sealed class ParquetReadErrorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void MissingPathIsReported()
    {
        var missing = _temp.Combine("nothing-here");

        var error = Assert.Throws<BlobNotFoundException>(() => Frame.ReadParquet(missing));

        Assert.Contains("nothing-here", error.Message);
    }

    [Fact]
    public void NonParquetFileIsNamed()
    {
        var file = _temp.Combine("notes.parquet");
        File.WriteAllText(file, "this is not parquet, just some text that is long enough to have a footer");

        var error = Assert.Throws<DataFormatException>(() => Frame.ReadParquet(file));

        Assert.Equal(file, error.SourceName);
        Assert.StartsWith(file, error.Message);
    }

    [Fact]
    public void NonParquetFileAmongPartFilesIsNamed()
    {
        var folder = _temp.Combine("mixed");
        Directory.CreateDirectory(folder);
        File.Copy(WriteSingle("good", Frame.FromRows(Schema1("x", Int64Type.Default), [[1L]])), Path.Combine(folder, "part-0.parquet"));
        File.WriteAllBytes(Path.Combine(folder, "part-1.parquet"), [1, 2, 3]);

        var error = Assert.Throws<DataFormatException>(() => Frame.ReadParquet(folder));

        Assert.Equal(Path.Combine(folder, "part-1.parquet"), error.SourceName);
    }

    [Fact]
    public void SchemaMismatchAcrossFilesNamesTheFileAndColumn()
    {
        var folder = _temp.Combine("mismatch");
        Directory.CreateDirectory(folder);
        File.Copy(WriteSingle("a", Frame.FromRows(Schema2(Int64Type.Default), [[1L, 1L]])), Path.Combine(folder, "a.parquet"));
        File.Copy(WriteSingle("b", Frame.FromRows(Schema2(DoubleType.Default), [[2L, 2.5]])), Path.Combine(folder, "b.parquet"));

        var error = Assert.Throws<DataFormatException>(() => Frame.ReadParquet(folder));

        Assert.Equal(Path.Combine(folder, "b.parquet"), error.SourceName);
        Assert.Equal("x", error.Column);
        Assert.Contains("a.parquet", error.Message);
        Assert.Contains("double", error.Message);
    }

    [Fact]
    public void ColumnMissingFromALaterFileNamesTheFileAndColumn()
    {
        var folder = _temp.Combine("missing-column");
        Directory.CreateDirectory(folder);
        File.Copy(WriteSingle("a", Frame.FromRows(Schema2(Int64Type.Default), [[1L, 1L]])), Path.Combine(folder, "a.parquet"));
        File.Copy(WriteSingle("b", Frame.FromRows(Schema1("id", Int64Type.Default), [[2L]])), Path.Combine(folder, "b.parquet"));

        var error = Assert.Throws<DataFormatException>(() => Frame.ReadParquet(folder));

        Assert.Equal(Path.Combine(folder, "b.parquet"), error.SourceName);
        Assert.Equal("x", error.Column);
    }

    [Fact]
    public void ProjectingAMissingColumnNamesItAndListsTheOthers()
    {
        var file = WriteSingle("p", Frame.FromRows(Schema2(Int64Type.Default), [[1L, 1L]]));

        var error = Assert.Throws<SchemaException>(() => Frame.ReadParquet(file, new ParquetReadOptions { Columns = ["id", "nope"] }));

        Assert.Contains("'nope'", error.Message);
        Assert.Contains("id, x", error.Message);
        Assert.Contains(file, error.Message);
    }

    [Fact]
    public void UnsupportedTypeNamesTheFileColumnAndType()
    {
        var file = _temp.Combine("decimal.parquet").Replace('\\', '/');
        using (var duck = ParquetDuckDbInteropTests.Open())
        {
            ParquetDuckDbInteropTests.Execute(duck, $"COPY (SELECT i AS id, CAST(i AS DECIMAL(10,2)) AS price FROM range(0, 10) t(i)) TO '{file}' (FORMAT parquet)");
        }

        var error = Assert.Throws<DataFormatException>(() => Frame.ReadParquet(file));

        Assert.Equal("price", error.Column);
        Assert.Contains("DECIMAL(10,2)", error.Message);
        Assert.Contains("decimal.parquet", error.SourceName);
        Assert.Equal(10, Frame.ReadParquet(file, new ParquetReadOptions { Columns = ["id"] }).Count());
    }

    [Fact]
    public void CorruptRowGroupNamesTheFileAndRowGroup()
    {
        var file = WriteSingle("corrupt", Frame.FromRows(Schema2(Int64Type.Default), Enumerable.Range(0, 1000).Select(i => (IReadOnlyList<object?>)[(long)i, (long)i * 3])));
        var bytes = File.ReadAllBytes(file);
        bytes.AsSpan(4, 64).Fill(0xFF);
        File.WriteAllBytes(file, bytes);

        // Planning reads only the footer, so the damage shows when the row group is decoded.
        var frame = Frame.ReadParquet(file);
        var error = Assert.Throws<DataFormatException>(() => frame.Count());

        Assert.Equal(file, error.SourceName);
        Assert.Equal(0, error.RowGroup);
        Assert.Equal("id", error.Column);
        Assert.Contains("row group 0", error.Message);
    }

    [Fact]
    public void DuplicateProjectionIsRejected()
    {
        var file = WriteSingle("dup", Frame.FromRows(Schema2(Int64Type.Default), [[1L, 1L]]));

        Assert.Throws<ArgumentException>(() => Frame.ReadParquet(file, new ParquetReadOptions { Columns = ["id", "id"] }));
    }

    private string WriteSingle(string name, Frame frame) =>
        frame.WriteParquet(_temp.Combine("src-" + name), new ParquetWriteOptions { DegreeOfParallelism = 1 }).Files.Single();

    private static Schema Schema1(string name, IArrowType type) => new([new Field(name, type, true)], null);

    private static Schema Schema2(IArrowType xType) => new([new Field("id", Int64Type.Default, true), new Field("x", xType, true)], null);
}
