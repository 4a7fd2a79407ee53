using Apache.Arrow.Types;
using static Mlops.Features.Functions;
using static Mlops.Features.Tests.Expressions.ExpressionTestData;

namespace Mlops.Features.Tests.Expressions;

public class ArithmeticTests
{
    private static readonly Frame Numbers = Rows(
        Schema(("i", Int32Type.Default), ("j", Int32Type.Default), ("l", Int64Type.Default), ("d", DoubleType.Default), ("b", Int8Type.Default)),
        [7, 2, 10L, 0.5, (sbyte)100],
        [-7, 0, -3L, -2.0, (sbyte)-100],
        [int.MaxValue, 1, long.MinValue, double.NaN, (sbyte)1],
        [null, 3, 4L, null, null],
        [int.MinValue, -1, 0L, 0.0, (sbyte)0]);

    [Fact]
    public void ResultTypesWidenLikeSpark()
    {
        Assert.IsType<Int32Type>(Numbers.WithColumn("r", Col("i") + Col("j")).Schema.GetFieldByName("r").DataType);
        Assert.IsType<Int64Type>(Numbers.WithColumn("r", Col("i") * Col("l")).Schema.GetFieldByName("r").DataType);
        Assert.IsType<DoubleType>(Numbers.WithColumn("r", Col("l") - Col("d")).Schema.GetFieldByName("r").DataType);
        Assert.IsType<Int8Type>(Numbers.WithColumn("r", Col("b") + Col("b")).Schema.GetFieldByName("r").DataType);
        Assert.IsType<DoubleType>(Numbers.WithColumn("r", Col("i") / Col("j")).Schema.GetFieldByName("r").DataType);
        Assert.IsType<Int32Type>(Numbers.WithColumn("r", Col("b") + 1).Schema.GetFieldByName("r").DataType);
        Assert.IsType<FloatType>(Numbers.WithColumn("r", Col("l") + 1.5f).Schema.GetFieldByName("r").DataType);
    }

    [Fact]
    public void AddsWithWrapAroundAndNullPropagation()
    {
        Assert.Equal([9, -7, int.MinValue, null, int.MaxValue], Eval(Numbers, Col("i") + Col("j")));
        Assert.Equal([(sbyte)-56, (sbyte)56, (sbyte)2, null, (sbyte)0], Eval(Numbers, Col("b") + Col("b")));
        Assert.Equal([70L, 21L, long.MinValue, null, 0L], Eval(Numbers, Col("i") * Col("l")));
        Assert.Equal([9.5, -1.0, double.NaN, null, 0.0], Eval(Numbers, Col("l") - Col("d")));
        Assert.Equal([-7, 7, -int.MaxValue, null, int.MinValue], Eval(Numbers, -Col("i")));
    }

    [Fact]
    public void DivisionIsDoubleAndDivideByZeroIsNull()
    {
        Assert.Equal([3.5, null, (double)int.MaxValue, null, -(double)int.MinValue], Eval(Numbers, Col("i") / Col("j")));
        Assert.Equal([14.0, 3.5, double.NaN, null, null], Eval(Numbers, Col("i") / Col("d")));
        Assert.Equal([null, null, null, null, null], Eval(Numbers, Col("d") / 0));
        Assert.Equal([null, null, null, null, null], Eval(Numbers, Col("i") / Lit(null)));
    }

    [Fact]
    public void RemainderFollowsJava()
    {
        Assert.Equal([1, null, 0, null, 0], Eval(Numbers, Col("i") % Col("j")));
        Assert.Equal([1, -1, 1, null, -2], Eval(Numbers, Col("i") % 3));
        Assert.Equal([0.5, -0.5, double.NaN, null, 0.0], Eval(Numbers, Col("d") % 1.5));
    }

    [Fact]
    public void TypeErrorsAreReportedWhenTheFrameIsBuilt()
    {
        var frame = Rows(Schema(("name", StringType.Default), ("n", Int32Type.Default), ("flag", BooleanType.Default)), ["a", 1, true]);

        var plus = Assert.Throws<SchemaException>(() => frame.WithColumn("r", Col("name") + 1));
        Assert.Contains("(name + 1)", plus.Message);
        Assert.Contains("string", plus.Message);
        Assert.Contains("Cast", plus.Message);
        Assert.Contains("boolean", Assert.Throws<SchemaException>(() => frame.WithColumn("r", Col("flag") * Col("n"))).Message);
        Assert.Contains("'missing' does not exist", Assert.Throws<SchemaException>(() => frame.WithColumn("r", Col("missing") - 1)).Message);
        Assert.Contains("negation", Assert.Throws<SchemaException>(() => frame.WithColumn("r", -Col("name"))).Message);
    }
}
