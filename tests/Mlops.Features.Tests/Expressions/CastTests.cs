using Apache.Arrow.Types;
using static Mlops.Features.Functions;
using static Mlops.Features.Tests.Expressions.ExpressionTestData;

namespace Mlops.Features.Tests.Expressions;

public class CastTests
{
    [Fact]
    public void StringsParseToNumbersOrNull()
    {
        var frame = Single(StringType.Default, "12", " 7 ", "1.9", "-1.9", "x", "99999999999", "", null, "+3", "1e3");

        Assert.Equal([12, 7, 1, -1, null, null, null, null, 3, null], Eval(frame, Col("x").Cast("int")));
        Assert.Equal([12L, 7L, 1L, -1L, null, 99999999999L, null, null, 3L, null], Eval(frame, Col("x").Cast("bigint")));
        Assert.Equal([(sbyte)12, (sbyte)7, (sbyte)1, (sbyte)-1, null, null, null, null, (sbyte)3, null], Eval(frame, Col("x").Cast("tinyint")));
        Assert.Equal([12.0, 7.0, 1.9, -1.9, null, 99999999999.0, null, null, 3.0, 1000.0], Eval(frame, Col("x").Cast("double")));
    }

    [Fact]
    public void StringsParseSpecialFloatsBooleansDatesAndTimestamps()
    {
        var floats = Single(StringType.Default, "NaN", "-Infinity", "inf", "1,5", "2.5d");
        Assert.Equal([double.NaN, double.NegativeInfinity, double.PositiveInfinity, null, 2.5], Eval(floats, Col("x").Cast(DoubleType.Default)));

        var booleans = Single(StringType.Default, "true", "F", "yes", "0", "maybe");
        Assert.Equal([true, false, true, false, null], Eval(booleans, Col("x").Cast("boolean")));

        var dates = Single(StringType.Default, "2024-03-05", "2024-3-5", "2024-02-30", "2024", "2024-03-05T10:00:00", "03/05/2024");
        Assert.Equal([new DateOnly(2024, 3, 5), new DateOnly(2024, 3, 5), null, new DateOnly(2024, 1, 1), new DateOnly(2024, 3, 5), null], Eval(dates, Col("x").Cast("date")));

        var timestamps = Single(StringType.Default, "2024-03-05 10:30:00", "2024-03-05T10:30:00.123456Z", "2024-03-05T12:30:00+02:00", "nope");
        Assert.Equal(
            [new DateTime(2024, 3, 5, 10, 30, 0, DateTimeKind.Utc), new DateTime(2024, 3, 5, 10, 30, 0, DateTimeKind.Utc).AddTicks(1_234_560), new DateTime(2024, 3, 5, 10, 30, 0, DateTimeKind.Utc), null],
            Eval(timestamps, Col("x").Cast("timestamp")));
    }

    [Fact]
    public void NumbersConvertWithJavaRules()
    {
        var doubles = Single(DoubleType.Default, 1.9, -1.9, double.NaN, 1e20, -1e20, 300.7, null);
        Assert.Equal([1, -1, 0, int.MaxValue, int.MinValue, 300, null], Eval(doubles, Col("x").Cast("int")));
        Assert.Equal([1L, -1L, 0L, long.MaxValue, long.MinValue, 300L, null], Eval(doubles, Col("x").Cast("bigint")));

        // To tinyint Java goes through int, then keeps the low byte: 300 → 44, 1e20 → int.MaxValue → -1.
        Assert.Equal([(sbyte)1, (sbyte)-1, (sbyte)0, (sbyte)-1, (sbyte)0, (sbyte)44, null], Eval(doubles, Col("x").Cast("tinyint")));
        Assert.Equal([true, true, true, true, true, true, null], Eval(doubles, Col("x").Cast("boolean")));

        var longs = Single(Int64Type.Default, 4_294_967_297L, -1L, 0L);
        Assert.Equal([1, -1, 0], Eval(longs, Col("x").Cast("int")));
        Assert.Equal([4_294_967_297f, -1f, 0f], Eval(longs, Col("x").Cast("float")));
        Assert.Equal([true, true, false], Eval(longs, Col("x").Cast("boolean")));
        Assert.Equal([1, 0, null], Eval(Single(BooleanType.Default, true, false, null), Col("x").Cast("int")));
    }

    [Fact]
    public void ValuesFormatAsSparkPrintsThem()
    {
        var doubles = Single(DoubleType.Default, 1.0, 1e10, 1e-4, 0.001, 123456.789, -0.0, double.NaN, double.NegativeInfinity, 1e7, 9999999.0, 0.1 + 0.2, 1.5e300);
        Assert.Equal(
            ["1.0", "1.0E10", "1.0E-4", "0.001", "123456.789", "-0.0", "NaN", "-Infinity", "1.0E7", "9999999.0", "0.30000000000000004", "1.5E300"],
            Eval(doubles, Col("x").Cast("string")));
        Assert.Equal(["0.1", "3.4028235E38"], Eval(Single(FloatType.Default, 0.1f, float.MaxValue), Col("x").Cast("string")));
        Assert.Equal(["-42", null], Eval(Single(Int32Type.Default, -42, null), Col("x").Cast("string")));
        Assert.Equal(["true", "false"], Eval(Single(BooleanType.Default, true, false), Col("x").Cast("string")));
        Assert.Equal(["2024-03-05"], Eval(Single(Date32Type.Default, new DateOnly(2024, 3, 5)), Col("x").Cast("string")));
        Assert.Equal(
            ["2024-03-05 10:30:00", "2024-03-05 10:30:00.5"],
            Eval(Single(ExpressionTestTypes.Timestamp, new DateTime(2024, 3, 5, 10, 30, 0, DateTimeKind.Utc), new DateTime(2024, 3, 5, 10, 30, 0, 500, DateTimeKind.Utc)), Col("x").Cast("string")));
        Assert.Equal(["[1.0, 2.5]"], Eval(Single(new ListType(DoubleType.Default), new[] { 1.0, 2.5 }), Col("x").Cast("string")));
    }

    [Fact]
    public void DatesTimestampsAndNumbersConvertThroughSecondsSinceTheEpoch()
    {
        var moment = new DateTime(2024, 3, 5, 10, 30, 15, 250, DateTimeKind.Utc);
        var frame = Single(ExpressionTestTypes.Timestamp, moment, new DateTime(1969, 12, 31, 23, 59, 59, 500, DateTimeKind.Utc));
        var seconds = (moment - DateTime.UnixEpoch).TotalSeconds;

        Assert.Equal([(long)Math.Floor(seconds), -1L], Eval(frame, Col("x").Cast("bigint")));
        Assert.Equal([seconds, -0.5], Eval(frame, Col("x").Cast("double")));
        Assert.Equal([new DateOnly(2024, 3, 5), new DateOnly(1969, 12, 31)], Eval(frame, Col("x").Cast("date")));
        Assert.Equal([moment, new DateTime(1969, 12, 31, 23, 59, 59, 500, DateTimeKind.Utc)], Eval(frame, Col("x").Cast("double").Cast("timestamp")));
        Assert.Equal([new DateTime(1970, 1, 1, 0, 0, 1, 500, DateTimeKind.Utc), null], Eval(Single(DoubleType.Default, 1.5, double.NaN), Col("x").Cast("timestamp")));
        Assert.Equal([new DateTime(2024, 3, 5, 0, 0, 0, DateTimeKind.Utc)], Eval(Single(Date32Type.Default, new DateOnly(2024, 3, 5)), Col("x").Cast("timestamp")));
        Assert.Equal([moment.AddTicks(-(moment.Ticks % TimeSpan.TicksPerSecond))], Eval(Single(ExpressionTestTypes.Timestamp, moment), Col("x").Cast(new TimestampType(TimeUnit.Second, "UTC"))));
    }

    [Fact]
    public void ImpossibleCastsFailEarly()
    {
        var frame = Single(Date32Type.Default, new DateOnly(2024, 1, 1));

        Assert.Contains("CAST(x AS INT)", Assert.Throws<SchemaException>(() => frame.WithColumn("r", Col("x").Cast("int"))).Message);
        Assert.Throws<SchemaException>(() => Single(BooleanType.Default, true).WithColumn("r", Col("x").Cast("timestamp")));
        Assert.Throws<SchemaException>(() => Single(StringType.Default, "a").WithColumn("r", Col("x").Cast("array<double>")));
        Assert.Contains("Known:", Assert.Throws<ArgumentException>(() => Col("x").Cast("decimal(10,2)")).Message);
    }
}
