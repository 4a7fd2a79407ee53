using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Core.Tests.Arrow;

public class ArrowArraysTests
{
    public static TheoryData<IArrowType, object?[]> Columns() => new()
    {
        { Int64Type.Default, new object?[] { 1L, null, -3L, long.MaxValue } },
        { Int32Type.Default, new object?[] { 7, 8, null, -9 } },
        { DoubleType.Default, new object?[] { 1.5, double.NaN, null, double.NegativeInfinity } },
        { FloatType.Default, new object?[] { 1.5f, null, 3f, -0f } },
        { BooleanType.Default, new object?[] { true, false, null, true } },
        { StringType.Default, new object?[] { "a", string.Empty, null, "héllo ✓" } },
        { Date32Type.Default, new object?[] { new DateOnly(2024, 2, 29), null, new DateOnly(1969, 12, 31), new DateOnly(1970, 1, 1) } },
        { new TimestampType(TimeUnit.Microsecond, "UTC"), new object?[] { new DateTime(2024, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc), null, new DateTime(1960, 1, 1, 0, 0, 0, DateTimeKind.Utc), DateTime.UnixEpoch } },
        { new ListType(DoubleType.Default), new object?[] { new[] { 1.0, 2.0 }, null, System.Array.Empty<double>(), new[] { double.NaN } } },
    };

    [Theory]
    [MemberData(nameof(Columns))]
    public void Take_gathers_values_and_turns_minus_one_into_null(IArrowType type, object?[] values)
    {
        var array = Build(type, values);
        int[] indices = [3, -1, 0, 0, 2, 1];

        var taken = ArrowArrays.Take(array, indices);

        Assert.Equal(indices.Length, taken.Length);
        for (var i = 0; i < indices.Length; i++)
        {
            var expected = indices[i] < 0 ? null : values[indices[i]];
            Assert.Equal(expected, ArrowValues.GetValue(taken, i));
        }

        Assert.Equal(Enumerable.Range(0, indices.Length).Count(i => ArrowValues.GetValue(taken, i) is null), taken.NullCount);
    }

    [Theory]
    [MemberData(nameof(Columns))]
    public void Concat_appends_arrays_in_order(IArrowType type, object?[] values)
    {
        var a = Build(type, values);
        var b = ArrowArrays.Take(Build(type, values), [2, 1]);

        var joined = ArrowArrays.Concat([a, b]);

        object?[] expected = [.. values, values[2], values[1]];
        Assert.Equal(expected.Length, joined.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], ArrowValues.GetValue(joined, i));
        }
    }

    [Fact]
    public void Take_respects_the_offset_of_a_sliced_array()
    {
        var array = (Int64Array)Build(Int64Type.Default, [10L, null, 30L, 40L]);
        var sliced = (Int64Array)array.Slice(1, 3);

        var taken = ArrowArrays.Take(sliced, [0, 2, 1]);

        Assert.Equal([null, 40L, 30L], Enumerable.Range(0, 3).Select(i => ArrowValues.GetValue(taken, i)));
    }

    [Fact]
    public void Column_builders_reject_values_of_the_wrong_type()
    {
        var builder = ColumnBuilder.Create(Int64Type.Default);

        Assert.ThrowsAny<Exception>(() => builder.AppendObject("not a number"));
    }

    [Fact]
    public void Unsupported_types_fail_with_the_type_name()
    {
        var e = Assert.Throws<NotSupportedException>(() => ColumnBuilder.Create(new Decimal128Type(10, 2)));

        Assert.Contains("decimal", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static IArrowArray Build(IArrowType type, object?[] values)
    {
        var builder = ColumnBuilder.Create(type, 1);
        foreach (var v in values)
        {
            builder.AppendObject(v);
        }

        return builder.Build();
    }
}
