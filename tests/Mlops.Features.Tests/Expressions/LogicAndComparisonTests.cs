using Apache.Arrow.Types;
using static Mlops.Features.Functions;
using static Mlops.Features.Tests.Expressions.ExpressionTestData;

namespace Mlops.Features.Tests.Expressions;

public class LogicAndComparisonTests
{
    // Every pair of true, false and null.
    private static readonly Frame Truth = Rows(
        Schema(("a", BooleanType.Default), ("b", BooleanType.Default)),
        [true, true], [true, false], [true, null],
        [false, true], [false, false], [false, null],
        [null, true], [null, false], [null, null]);

    [Fact]
    public void AndOrNotFollowThreeValuedLogic()
    {
        Assert.Equal([true, false, null, false, false, false, null, false, null], Eval(Truth, Col("a") & Col("b")));
        Assert.Equal([true, true, true, true, false, null, true, null, null], Eval(Truth, Col("a") | Col("b")));
        Assert.Equal([false, false, false, true, true, true, null, null, null], Eval(Truth, !Col("a")));
        Assert.Equal(Eval(Truth, Col("a") & Col("b")), Eval(Truth, Col("a").And(Col("b"))));
        Assert.Equal(Eval(Truth, Col("a") | Col("b")), Eval(Truth, Col("a").Or(Col("b"))));
        // (x AND false) is false even when x is null, so this reduces to (b AND NULL).
        Assert.Equal([null, false, null, null, false, null, null, false, null], Eval(Truth, (Col("a") & Lit(null) & false) | (Col("b") & Lit(null))));
    }

    [Fact]
    public void NullTestsAreNeverNull()
    {
        Assert.Equal([false, false, true, false, false, true, false, false, true], Eval(Truth, Col("b").IsNull()));
        Assert.Equal([true, true, false, true, true, false, true, true, false], Eval(Truth, Col("b").IsNotNull()));
        Assert.Equal([true, false, false, false, true, false, false, false, true], Eval(Truth, Col("a").EqNullSafe(Col("b"))));
        Assert.Equal([true, false, null, false, true, null, null, null, null], Eval(Truth, Col("a") == Col("b")));
    }

    [Fact]
    public void NaNEqualsNaNAndIsGreaterThanEveryNumber()
    {
        var frame = Rows(Schema(("x", DoubleType.Default), ("y", DoubleType.Default)),
            [double.NaN, double.NaN], [double.NaN, double.PositiveInfinity], [1.0, double.NaN], [-0.0, 0.0], [null, 1.0]);

        Assert.Equal([true, false, false, true, null], Eval(frame, Col("x") == Col("y")));
        Assert.Equal([false, true, false, false, null], Eval(frame, Col("x") > Col("y")));
        Assert.Equal([true, false, true, true, null], Eval(frame, Col("x") <= Col("y")));
        Assert.Equal([true, true, false, false, false], Eval(frame, Col("x").IsNaN()));
        Assert.Equal([true, true, false, false, false], Eval(frame, IsNaN(Col("x"))));
    }

    [Fact]
    public void ComparesAcrossNumericTypesStringsAndDates()
    {
        var frame = Rows(
            Schema(("i", Int32Type.Default), ("d", DoubleType.Default), ("s", StringType.Default), ("day", Date32Type.Default), ("ts", ExpressionTestTypes.Timestamp)),
            [1, 1.0, "apple", new DateOnly(2024, 1, 1), new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc)],
            [2, 1.5, "Apple", new DateOnly(2024, 3, 5), new DateTime(2024, 3, 4, 23, 59, 59, DateTimeKind.Utc)],
            [3, 3.5, "äpfel", new DateOnly(2023, 12, 31), new DateTime(2024, 1, 1, 12, 0, 0, DateTimeKind.Utc)]);

        Assert.Equal([true, false, false], Eval(frame, Col("i") == Col("d")));
        Assert.Equal([false, true, true], Eval(frame, Col("i") > Col("d") | Col("d") > 3L));
        Assert.Equal([false, false, true], Eval(frame, Col("s") > "apple"));
        Assert.Equal([true, false, false], Eval(frame, Col("s") == "apple"));
        Assert.Equal([false, true, false], Eval(frame, Col("day") >= "2024-01-02"));
        Assert.Equal([true, false, false], Eval(frame, Col("day") == Col("ts")));
        Assert.Equal([false, true, true], Eval(frame, Col("ts") > new DateTime(2024, 1, 1, 6, 0, 0, DateTimeKind.Utc)));
        Assert.Equal([true, true, false], Eval(frame, Col("day") > new DateOnly(2023, 12, 31)));
        Assert.Equal([true, true, false], Eval(frame, Col("i").Between(1, 2)));
        Assert.Equal([true, false, true], Eval(frame, Col("s").IsIn("apple", "äpfel")));
    }

    [Fact]
    public void IsInIsNullWhenNothingMatchesAndANullIsInvolved()
    {
        var frame = Single(Int32Type.Default, 1, 2, null);

        Assert.Equal([true, null, null], Eval(frame, Col("x").IsIn(1, Lit(null))));
        Assert.Equal([true, false, null], Eval(frame, Col("x").IsIn(1, 3)));
    }

    [Fact]
    public void ComparingIncompatibleTypesFailsEarly()
    {
        var frame = Rows(Schema(("s", StringType.Default), ("i", Int32Type.Default), ("flag", BooleanType.Default)), ["a", 1, true]);

        var error = Assert.Throws<SchemaException>(() => frame.Filter(Col("s") == Col("i")));
        Assert.Contains("(s = i)", error.Message);
        Assert.Contains("Cast", error.Message);
        Assert.Contains("AND needs boolean operands", Assert.Throws<SchemaException>(() => frame.Filter(Col("i") & Col("flag"))).Message);
        Assert.Contains("not boolean", Assert.Throws<SchemaException>(() => frame.Filter(Col("i") + 1)).Message);
        Assert.Contains("isnan", Assert.Throws<SchemaException>(() => frame.Filter(Col("s").IsNaN())).Message);
    }

    [Fact]
    public void CaseWhenTakesTheFirstTrueBranch()
    {
        var frame = Single(Int32Type.Default, 5, 15, 25, null);

        var banded = When(Col("x") < 10, "low").When(Col("x") < 20, "mid").Otherwise("high");
        Assert.Equal(["low", "mid", "high", "high"], Eval(frame, banded));
        Assert.Equal([0.5, 1.0, null, null], Eval(frame, When(Col("x") < 10, 0.5).When(Col("x") < 20, 1L)));
        Assert.Equal("CASE WHEN (x < 10) THEN 'low' WHEN (x < 20) THEN 'mid' ELSE 'high' END", banded.ToString());
        Assert.Throws<SchemaException>(() => frame.WithColumn("r", When(Col("x") < 10, "low").Otherwise(1)));
        Assert.Throws<SchemaException>(() => frame.WithColumn("r", When(Col("x"), 1)));
    }

    [Fact]
    public void CoalesceTakesTheFirstNonNull()
    {
        var frame = Rows(Schema(("a", Int32Type.Default), ("b", Int64Type.Default)), [1, 10L], [null, 20L], [null, null]);

        Assert.Equal([1L, 20L, -1L], Eval(frame, Coalesce(Col("a"), Col("b"), -1)));
        Assert.Equal([1L, 20L, null], Eval(frame, Coalesce(Lit(null), Col("a"), Col("b"))));
    }
}

internal static class ExpressionTestTypes
{
    public static readonly TimestampType Timestamp = new(TimeUnit.Microsecond, "UTC");
}
