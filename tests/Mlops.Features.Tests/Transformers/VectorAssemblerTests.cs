using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features.Tests.Transformers;

public class VectorAssemblerTests
{
    private static readonly ListType VectorType = new(DoubleType.Default);

    [Fact]
    public void AssemblesEveryNumericTypeAndBooleansInInputOrder()
    {
        var schema = new Schema(
            [
                new Field("id", StringType.Default, true),
                new Field("i8", Int8Type.Default, true),
                new Field("i16", Int16Type.Default, true),
                new Field("i32", Int32Type.Default, true),
                new Field("i64", Int64Type.Default, true),
                new Field("f32", FloatType.Default, true),
                new Field("f64", DoubleType.Default, true),
                new Field("flag", BooleanType.Default, true),
            ],
            null);
        var frame = Frame.FromRows(
            schema,
            [
                ["a", (sbyte)-3, (short)300, 70_000, 5_000_000_000L, 1.5f, -2.25, true],
                ["b", (sbyte)4, (short)-7, -1, -9L, 0.125f, 1e300, false],
                ["c", (sbyte)0, (short)0, 0, long.MaxValue, -0.5f, 0.0, true],
            ],
            batchSize: 2);

        var result = new VectorAssembler()
            .SetInputCols("flag", "i8", "i16", "i32", "i64", "f32", "f64")
            .SetOutputCol("features")
            .Transform(frame);

        Assert.Equal(["id", "i8", "i16", "i32", "i64", "f32", "f64", "flag", "features"], result.Columns);
        var rows = result.Collect();
        Assert.Equal([1.0, -3, 300, 70_000, 5_000_000_000, 1.5, -2.25], (double[])rows[0]["features"]!);
        Assert.Equal([0.0, 4, -7, -1, -9, 0.125, 1e300], (double[])rows[1]["features"]!);
        Assert.Equal([1.0, 0, 0, 0, long.MaxValue, -0.5, 0.0], (double[])rows[2]["features"]!);
        Assert.Equal(["a", "b", "c"], rows.Select(r => (string)r["id"]!));
        Assert.False(result.Schema.GetFieldByName("features").IsNullable);
        Assert.Equal(3, result.EstimatedRowCount);
    }

    [Fact]
    public void WritesSparkMlAttrMetadataAndReadsItBack()
    {
        var frame = Frame.FromRows(Schema(("user_age", Int32Type.Default), ("price", DoubleType.Default), ("clicked", BooleanType.Default)), [[30, 9.99, true]]);

        var result = new VectorAssembler().SetInputCols("user_age", "price", "clicked").SetOutputCol("features").Transform(frame);

        var field = result.Schema.GetFieldByName("features");
        Assert.Equal(["user_age", "price", "clicked"], VectorMetadata.GetSlotNames(field));
        Assert.Equal(3, VectorMetadata.GetSize(field));
        using var json = JsonDocument.Parse("{\"ml_attr\":" + field.Metadata[VectorMetadata.Key] + "}");
        var attrs = json.RootElement.GetProperty("ml_attr");
        Assert.Equal(3, attrs.GetProperty("num_attrs").GetInt32());
        var numeric = attrs.GetProperty("attrs").GetProperty("numeric").EnumerateArray().Select(a => (a.GetProperty("idx").GetInt32(), a.GetProperty("name").GetString())).ToArray();
        Assert.Equal([(0, "user_age"), (1, "price"), (2, "clicked")], numeric);
    }

    [Fact]
    public void ExpandsVectorInputsAndNamesTheirSlotsLikeSpark()
    {
        var frame = Frame.FromRows(
            Schema(("x", DoubleType.Default), ("v", VectorType)),
            [[1.0, new[] { 2.0, 3.0 }], [4.0, new[] { 5.0, double.NaN }]],
            batchSize: 1);

        var first = new VectorAssembler().SetInputCols("v", "x").SetOutputCol("f1").Transform(frame);
        Assert.Equal(["v_0", "v_1", "x"], VectorMetadata.GetSlotNames(first.Schema.GetFieldByName("f1")));

        // A second assembler reads the first one's slot names and prefixes them with the column, as Spark does.
        var second = new VectorAssembler().SetInputCols("x", "f1").SetOutputCol("f2").Transform(first);
        Assert.Equal(["x", "f1_v_0", "f1_v_1", "f1_x"], VectorMetadata.GetSlotNames(second.Schema.GetFieldByName("f2")));
        var rows = second.Collect();
        Assert.Equal([1.0, 2.0, 3.0, 1.0], (double[])rows[0]["f2"]!);

        // NaN elements inside a vector are data, not invalid values (Spark checks only scalar NaNs).
        Assert.Equal([4.0, 5.0, double.NaN, 4.0], (double[])rows[1]["f2"]!);
    }

    [Fact]
    public void VectorSizeComesFromMetadataWithoutReadingTheData()
    {
        var field = VectorMetadata.WithSize(new Field("v", VectorType, true), 3);
        var schema = new Schema([field], null);
        var reads = 0;
        var frame = Frame.FromPartitions(schema, [_ => { Interlocked.Increment(ref reads); return [Batch(schema, new object?[] { new[] { 1.0, 2.0, 3.0 } })]; }]);

        var result = new VectorAssembler().SetInputCols("v").Transform(frame);

        Assert.Equal(0, reads);
        Assert.Equal(["v_0", "v_1", "v_2"], VectorMetadata.GetSlotNames(result.Schema.GetFieldByName(VectorAssembler.DefaultOutputCol)));
        Assert.Equal([1.0, 2.0, 3.0], (double[])result.Collect()[0]["features"]!);
        Assert.Equal(1, reads);
    }

    [Fact]
    public void VectorOfAnotherSizeIsAnErrorNamingColumnAndRow()
    {
        var frame = Frame.FromRows(Schema(("v", VectorType)), [[new[] { 1.0, 2.0 }], [new[] { 1.0, 2.0 }], [new[] { 1.0, 2.0 }], [new[] { 1.0 }]], batchSize: 2);

        var result = new VectorAssembler().SetInputCols("v").SetHandleInvalid(HandleInvalid.Keep).Transform(frame);

        var error = Assert.Throws<DataFormatException>(() => result.Collect());
        Assert.Equal("v", error.Column);
        Assert.Contains("size 2", error.Message);
        Assert.Contains("size 1", error.Message);
        Assert.Contains("row 1 of partition 1", error.Message);
    }

    [Fact]
    public void ErrorModeNamesColumnRowAndTheOtherModes()
    {
        var frame = Frame.FromRows(
            Schema(("a", DoubleType.Default), ("b", Int32Type.Default)),
            [[1.0, 1], [2.0, 2], [3.0, 3], [4.0, null], [double.NaN, 5]],
            batchSize: 3);

        var result = new VectorAssembler().SetInputCols("a", "b").Transform(frame);

        var error = Assert.Throws<DataFormatException>(() => result.Count());
        Assert.Equal("b", error.Column);
        Assert.Contains("null value at row 0 of partition 1", error.Message);
        Assert.Contains("\"skip\"", error.Message);
        Assert.Contains("\"keep\"", error.Message);

        var nan = Frame.FromRows(Schema(("a", DoubleType.Default)), [[1.0], [double.NaN]]);
        var nanError = Assert.Throws<DataFormatException>(() => new VectorAssembler().SetInputCols("a").Transform(nan).Collect());
        Assert.Contains("NaN value at row 1 of partition 0", nanError.Message);
        Assert.Equal("a", nanError.Column);
    }

    [Fact]
    public void SkipDropsWholeRowsAndKeepsColumnsAligned()
    {
        var vectors = new ListType(DoubleType.Default);
        var frame = Frame.FromRows(
            Schema(("id", StringType.Default), ("a", FloatType.Default), ("flag", BooleanType.Default), ("v", vectors)),
            [
                ["r0", 1f, true, new[] { 1.0, 1.0 }],
                ["r1", null, true, new[] { 2.0, 2.0 }],
                ["r2", 3f, null, new[] { 3.0, 3.0 }],
                ["r3", 4f, false, null],
                ["r4", float.NaN, false, new[] { 5.0, 5.0 }],
                ["r5", 6f, false, new[] { 6.0, 6.0 }],
            ],
            batchSize: 4);

        var result = new VectorAssembler().SetInputCols("a", "flag", "v").SetHandleInvalid("SKIP").Transform(frame);

        var rows = result.Collect();
        Assert.Equal(["r0", "r5"], rows.Select(r => (string)r["id"]!));
        Assert.Equal([1.0, 1.0, 1.0, 1.0], (double[])rows[0]["features"]!);
        Assert.Equal([6.0, 0.0, 6.0, 6.0], (double[])rows[1]["features"]!);
        Assert.Null(result.EstimatedRowCount);
    }

    [Fact]
    public void SkipJudgesEachBatchOnItsOwnRows()
    {
        // One partition, batches assembled one after another on one thread: each batch's invalid rows are its own,
        // whatever the batch before it marked (the kernel reuses its scratch buffers).
        var schema = Schema(("id", Int32Type.Default), ("x", DoubleType.Default));
        var rows = Enumerable.Range(0, 40).Select(i => (IReadOnlyList<object?>)[i, i % 8 == 1 ? double.NaN : i % 8 == 5 ? null : i * 1.0]).ToList();
        var frame = Frame.FromRows(schema, rows, batchSize: 8);

        var kept = new VectorAssembler().SetInputCols("x").SetHandleInvalid(HandleInvalid.Skip).Transform(frame).Collect();

        Assert.Equal(Enumerable.Range(0, 40).Where(i => i % 8 is not 1 and not 5), kept.Select(r => (int)r["id"]!));
        Assert.All(kept, r => Assert.Equal([(int)r["id"]! * 1.0], (double[])r["features"]!));

        // Batches with invalid rows in different places, back to back.
        var shifted = Frame.FromRows(schema, Enumerable.Range(0, 40).Select(i => (IReadOnlyList<object?>)[i, i == 2 || i == 13 || i == 27 ? null : i * 1.0]), batchSize: 10);
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i is not 2 and not 13 and not 27), new VectorAssembler().SetInputCols("x").SetHandleInvalid(HandleInvalid.Skip).Transform(shifted).Collect().Select(r => (int)r["id"]!));
    }

    [Fact]
    public void SkipDropsRowsWithNullVectorElements()
    {
        var schema = Schema(("v", VectorType));
        var builder = new ListArray.Builder(DoubleType.Default);
        var values = (DoubleArray.Builder)builder.ValueBuilder;
        builder.Append();
        values.Append(1.0).Append(2.0);
        builder.Append();
        values.Append(3.0).AppendNull();
        var batch = new RecordBatch(schema, [builder.Build()], 2);

        var skipped = new VectorAssembler().SetInputCols("v").SetHandleInvalid(HandleInvalid.Skip).Transform(Frame.FromBatches(batch)).Collect();
        var kept = new VectorAssembler().SetInputCols("v").SetHandleInvalid(HandleInvalid.Keep).Transform(Frame.FromBatches(batch)).Collect();

        Assert.Equal([[1.0, 2.0]], skipped.Select(r => (double[])r["features"]!));
        Assert.Equal([[1.0, 2.0], [3.0, double.NaN]], kept.Select(r => (double[])r["features"]!));
        var error = Assert.Throws<DataFormatException>(() => new VectorAssembler().SetInputCols("v").Transform(Frame.FromBatches(batch)).Collect());
        Assert.Contains("null element in a vector at row 1", error.Message);
    }

    [Fact]
    public void KeepOutputsNaNForNullsNaNsAndNullVectors()
    {
        var frame = Frame.FromRows(
            Schema(("a", Int64Type.Default), ("b", DoubleType.Default), ("flag", BooleanType.Default), ("v", VectorType)),
            [
                [null, double.NaN, null, new[] { 1.0, 2.0, 3.0 }],
                [7L, 1.5, true, null],
            ]);

        var rows = new VectorAssembler().SetInputCols("a", "b", "flag", "v").SetHandleInvalid(HandleInvalid.Keep).Transform(frame).Collect();

        Assert.Equal([double.NaN, double.NaN, double.NaN, 1.0, 2.0, 3.0], (double[])rows[0]["features"]!);
        Assert.Equal([7.0, 1.5, 1.0, double.NaN, double.NaN, double.NaN], (double[])rows[1]["features"]!);
    }

    [Fact]
    public void KeepNeedsAKnownVectorSize()
    {
        var frame = Frame.FromRows(Schema(("v", VectorType)), [[null], [null]]);

        var error = Assert.Throws<SchemaException>(() => new VectorAssembler().SetInputCols("v").SetHandleInvalid(HandleInvalid.Keep).Transform(frame));
        Assert.Contains("'v'", error.Message);
        Assert.Contains("VectorMetadata.WithSize", error.Message);

        // With "skip" every such row is dropped, so an unknown size is harmless.
        Assert.Equal(0, new VectorAssembler().SetInputCols("v").SetHandleInvalid(HandleInvalid.Skip).Transform(frame).Count());
    }

    [Fact]
    public void ValidationListsEveryProblemAtOnce()
    {
        var frame = Frame.FromRows(
            Schema(("name", StringType.Default), ("day", Date32Type.Default), ("age", Int32Type.Default), ("features", DoubleType.Default)),
            [["x", new DateOnly(2024, 1, 1), 3, 1.0]]);
        var assembler = new VectorAssembler().SetInputCols("name", "age", "missing1", "day", "missing2");

        var error = Assert.Throws<SchemaException>(() => assembler.Transform(frame));

        Assert.Contains("'name' has unsupported type string", error.Message);
        Assert.Contains("'day' has unsupported type date", error.Message);
        Assert.Contains("'missing1' does not exist", error.Message);
        Assert.Contains("'missing2' does not exist", error.Message);
        Assert.Contains("output column 'features' already exists", error.Message);
        Assert.DoesNotContain("'age' has", error.Message);
        Assert.Throws<SchemaException>(() => new VectorAssembler().SetOutputCol("out").Transform(frame));
    }

    [Fact]
    public void TransformIsLazyAndTheAssemblerIsReusable()
    {
        var schema = Schema(("a", Int32Type.Default), ("b", Int32Type.Default));
        var reads = 0;
        var frame = Frame.FromPartitions(schema, [_ => { Interlocked.Increment(ref reads); return [Batch(schema, [1, 2], [3, 4])]; }]);
        var assembler = new VectorAssembler().SetInputCols("a", "b").SetOutputCol("ab");

        var first = assembler.Transform(frame);
        assembler.SetInputCols("b").SetOutputCol("only_b").SetHandleInvalid(HandleInvalid.Keep);
        var second = assembler.Transform(frame);

        Assert.Equal(0, reads);
        Assert.Equal([[1.0, 3.0], [2.0, 4.0]], first.Collect().Select(r => (double[])r["ab"]!));
        Assert.Equal([[3.0], [4.0]], second.Collect().Select(r => (double[])r["only_b"]!));
        Assert.Equal("VectorAssembler(inputCols=[b], outputCol=only_b, handleInvalid=keep)", assembler.ToString());
        Assert.Equal(HandleInvalid.Keep, assembler.GetHandleInvalid());
        Assert.Throws<ArgumentException>(() => assembler.SetHandleInvalid("drop"));
    }

    [Fact]
    public void HandlesSlicedInputArrays()
    {
        var schema = Schema(("a", DoubleType.Default), ("flag", BooleanType.Default), ("v", VectorType));
        var full = Frame.FromRows(schema, Enumerable.Range(0, 20).Select(i => (IReadOnlyList<object?>)[i % 7 == 0 ? null : i * 1.0, i % 3 == 0, new[] { i, -i * 1.0 }]).ToList()).Materialize().ReadBatches().Single();
        var sliced = new RecordBatch(schema, Enumerable.Range(0, 3).Select(c => ArrowArrayFactory.Slice(full.Column(c), 5, 11)), 11);

        var rows = new VectorAssembler().SetInputCols("a", "flag", "v").SetHandleInvalid(HandleInvalid.Keep).Transform(Frame.FromBatches(sliced)).Collect();

        for (var k = 0; k < 11; k++)
        {
            var i = k + 5;
            Assert.Equal([i % 7 == 0 ? double.NaN : i, i % 3 == 0 ? 1 : 0, i, -i], (double[])rows[k]["features"]!);
        }
    }

    [Theory]
    [InlineData(HandleInvalid.Keep)]
    [InlineData(HandleInvalid.Skip)]
    public void MatchesARowByRowReferenceOnRandomData(HandleInvalid mode)
    {
        var random = new Random(42);
        var schema = Schema(("id", Int64Type.Default), ("a", Int32Type.Default), ("b", DoubleType.Default), ("c", BooleanType.Default), ("v", VectorType));
        var data = Enumerable.Range(0, 5_000).Select(i => (IReadOnlyList<object?>)
        [
            (long)i,
            random.NextDouble() < 0.05 ? null : random.Next(-1000, 1000),
            random.NextDouble() < 0.05 ? double.NaN : random.NextDouble() * 100,
            random.NextDouble() < 0.05 ? null : random.NextDouble() < 0.5,
            random.NextDouble() < 0.05 ? null : new[] { random.NextDouble(), random.NextDouble(), random.NextDouble() },
        ]).ToList();
        var frame = Frame.FromRows(schema, data, batchSize: 700);

        var rows = new VectorAssembler().SetInputCols("v", "a", "b", "c").SetHandleInvalid(mode).Transform(frame).Collect();

        var expected = new List<(long Id, double[] Features)>();
        foreach (var row in data)
        {
            var vector = (double[]?)row[4];
            var features = (vector ?? [double.NaN, double.NaN, double.NaN])
                .Append(row[1] is int a ? a : double.NaN)
                .Append((double)row[2]!)
                .Append(row[3] is bool c ? (c ? 1 : 0) : double.NaN)
                .ToArray();
            var invalid = vector is null || row[1] is null || double.IsNaN((double)row[2]!) || row[3] is null;
            if (mode == HandleInvalid.Keep || !invalid)
            {
                expected.Add(((long)row[0]!, features));
            }
        }

        Assert.True(expected.Count < data.Count || mode == HandleInvalid.Keep);
        Assert.Equal(expected.Select(e => e.Id), rows.Select(r => (long)r["id"]!));
        Assert.Equal(expected.Select(e => e.Features), rows.Select(r => (double[])r["features"]!));
    }

    private static Schema Schema(params (string Name, IArrowType Type)[] fields) =>
        new(fields.Select(f => new Field(f.Name, f.Type, true)), null);

    private static RecordBatch Batch(Schema schema, params object?[][] columns)
    {
        var arrays = new List<IArrowArray>();
        for (var c = 0; c < columns.Length; c++)
        {
            var builder = ColumnBuilder.Create(schema.FieldsList[c].DataType);
            foreach (var v in columns[c])
            {
                builder.AppendObject(v);
            }

            arrays.Add(builder.Build());
        }

        return new RecordBatch(schema, arrays, arrays[0].Length);
    }
}
