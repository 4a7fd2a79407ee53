using Mlops.Features;
using static Mlops.Features.Tests.Joins.JoinTestFrames;

namespace Mlops.Features.Tests.Joins;

/// <summary>Each join type against hand-worked Spark results (<c>df.join(other, Seq("k"), how)</c>).</summary>
public sealed class JoinSemanticsTests
{
    // Duplicates on both sides (key 2), a key only on the left (1), only on the right (3), and null keys on both.
    private static readonly Frame Left = Of(["k:int", "a:string"], [[1, "a1"], [2, "a2"], [2, "a2b"], [null, "aN"]]);
    private static readonly Frame Right = Of(["k:int", "b:double"], [[2, 20.0], [2, 21.0], [3, 30.0], [null, -1.0]]);

    [Fact]
    public void InnerKeepsMatchingPairsAndDropsNullKeys()
    {
        var joined = Left.Join(Right, "k");
        AssertSchema(joined, "k:int", "a:string", "b:double");
        AssertRows(joined, [2, "a2", 20.0], [2, "a2", 21.0], [2, "a2b", 20.0], [2, "a2b", 21.0]);
    }

    [Fact]
    public void LeftKeepsEveryLeftRowIncludingNullKeys()
    {
        var joined = Left.Join(Right, "k", JoinType.Left);
        AssertSchema(joined, "k:int", "a:string", "b:double");
        AssertRows(joined, [1, "a1", null], [2, "a2", 20.0], [2, "a2", 21.0], [2, "a2b", 20.0], [2, "a2b", 21.0], [null, "aN", null]);
    }

    [Fact]
    public void RightKeepsEveryRightRowWithTheRightKey()
    {
        var joined = Left.Join(Right, "k", JoinType.Right);
        AssertSchema(joined, "k:int", "a:string", "b:double");
        AssertRows(joined, [2, "a2", 20.0], [2, "a2", 21.0], [2, "a2b", 20.0], [2, "a2b", 21.0], [3, null, 30.0], [null, null, -1.0]);
    }

    [Fact]
    public void FullCoalescesKeysAndKeepsBothNullKeyRowsApart()
    {
        var joined = Left.Join(Right, "k", JoinType.Full);
        AssertSchema(joined, "k:int", "a:string", "b:double");
        AssertRows(
            joined,
            [1, "a1", null],
            [2, "a2", 20.0],
            [2, "a2", 21.0],
            [2, "a2b", 20.0],
            [2, "a2b", 21.0],
            [3, null, 30.0],
            [null, "aN", null],
            [null, null, -1.0]);
    }

    [Fact]
    public void SemiEmitsEachMatchingLeftRowOnceWithLeftColumnsOnly()
    {
        var joined = Left.Join(Right, "k", JoinType.LeftSemi);
        AssertSchema(joined, "k:int", "a:string");
        AssertRows(joined, [2, "a2"], [2, "a2b"]);
    }

    [Fact]
    public void AntiEmitsUnmatchedLeftRowsIncludingNullKeys()
    {
        var joined = Left.Join(Right, "k", JoinType.LeftAnti);
        AssertSchema(joined, "k:int", "a:string");
        AssertRows(joined, [1, "a1"], [null, "aN"]);
    }

    [Theory]
    [InlineData(JoinType.Inner, "k:int!", "a:string!", "b:string!")]
    [InlineData(JoinType.Left, "k:int!", "a:string!", "b:string")]
    [InlineData(JoinType.Right, "k:int", "a:string", "b:string!")]
    [InlineData(JoinType.Full, "k:int", "a:string", "b:string")]
    [InlineData(JoinType.LeftSemi, "k:int!", "a:string!")]
    [InlineData(JoinType.LeftAnti, "k:int!", "a:string!")]
    public void NullabilityFollowsSpark(JoinType how, params string[] expected)
    {
        AssertSchema(Of(["k:int!", "a:string!"], [[1, "x"]]).Join(Of(["k:int!", "b:string!"], [[1, "y"]]), "k", JoinType.Full), "k:int!", "a:string", "b:string");

        // The left key is not nullable and the right key is: each side's key nullability is kept where that
        // side's key is output, and a full join's coalesced key is null for a right row with a null key.
        var left = Of(["k:int!", "a:string!"], [[1, "x"]]);
        var right = Of(["k:int", "b:string!"], [[1, "y"]]);
        AssertSchema(left.Join(right, "k", how), expected);
    }

    [Fact]
    public void KeysComeFirstInOnOrderThenLeftThenRightColumns()
    {
        var left = Of(["x:int", "k2:string", "y:int", "k1:long"], [[1, "a", 2, 10L]]);
        var right = Of(["z:int", "k1:long", "w:bool", "k2:string"], [[3, 10L, true, "a"]]);
        var joined = left.Join(right, ["k1", "k2"]);
        AssertSchema(joined, "k1:long", "k2:string", "x:int", "y:int", "z:int", "w:bool");
        AssertRows(joined, [10L, "a", 1, 2, 3, true]);
    }

    [Fact]
    public void NaNMatchesNaNAndNegativeZeroMatchesZero()
    {
        var left = Of(["k:double", "a:int"], [[double.NaN, 1], [-0.0, 2], [1.5, 3], [null, 4]]);
        var right = Of(["k:double", "b:int"], [[double.NaN, 10], [0.0, 20], [2.5, 30], [null, 40]]);

        // Inner and left output the left's key, so -0.0 survives; a right join outputs the right's 0.0.
        AssertRows(left.Join(right, "k"), [double.NaN, 1, 10], [-0.0, 2, 20]);
        AssertRows(left.Join(right, "k", JoinType.Right), [double.NaN, 1, 10], [0.0, 2, 20], [2.5, null, 30], [null, null, 40]);
        AssertRows(left.Join(right, "k", JoinType.Full), [double.NaN, 1, 10], [-0.0, 2, 20], [1.5, 3, null], [2.5, null, 30], [null, 4, null], [null, null, 40]);
        AssertRows(left.Join(right, "k", JoinType.LeftAnti), [1.5, 3], [null, 4]);
    }

    [Fact]
    public void StringKeysCompareUtf8BytesAndEmptyIsNotNull()
    {
        var left = Of(["k:string", "a:int"], [["", 1], [null, 2], ["café", 3], ["日本", 4], ["cafe", 5], ["😀", 6]]);
        var right = Of(["k:string", "b:int"], [["", 10], ["café", 30], ["日本", 40], ["😀", 60], ["😀", 61], [null, 70]]);
        AssertRows(left.Join(right, "k"), ["", 1, 10], ["café", 3, 30], ["日本", 4, 40], ["😀", 6, 60], ["😀", 6, 61]);
        AssertRows(left.Join(right, "k", JoinType.LeftAnti), [null, 2], ["cafe", 5]);
    }

    [Fact]
    public void BooleanDateAndTimestampKeys()
    {
        var day = new DateOnly(2024, 2, 29);
        var time = new DateTime(2024, 2, 29, 12, 30, 0, 123, DateTimeKind.Utc).AddTicks(4560);
        var left = Of(["b:bool", "d:date", "t:timestamp", "a:int"], [[true, day, time, 1], [false, day, time, 2], [true, day.AddDays(1), time, 3], [true, day, time.AddTicks(10), 4]]);
        var right = Of(["b:bool", "d:date", "t:timestamp", "c:int"], [[true, day, time, 10], [false, day, time, 20], [null, day, time, 30]]);
        var joined = left.Join(right, ["b", "d", "t"]);
        AssertSchema(joined, "b:bool", "d:date", "t:timestamp", "a:int", "c:int");
        AssertRows(joined, [true, day, time, 1, 10], [false, day, time, 2, 20]);

        AssertRows(left.Select("b", "a").Join(right.Select("b", "c"), "b"), [true, 1, 10], [true, 3, 10], [true, 4, 10], [false, 2, 20]);
        AssertRows(left.Select("d", "a").Join(right.Select("d", "c"), "d", JoinType.LeftSemi), [day, 1], [day, 2], [day, 4]);
        AssertRows(left.Select("t", "a").Join(right.Select("t", "c"), "t", JoinType.LeftAnti), [time.AddTicks(10), 4]);
    }

    [Fact]
    public void CompositeKeysNeedEveryColumnEqualAndNoneNull()
    {
        var left = Of(["s:string", "n:long", "a:int"], [["x", 1L, 1], ["x", 2L, 2], ["y", 1L, 3], [null, 1L, 4], ["x", null, 5], ["", 0L, 6]]);
        var right = Of(["s:string", "n:long", "b:int"], [["x", 1L, 10], ["x", 1L, 11], ["y", 2L, 20], [null, 1L, 30], ["", 0L, 60]]);
        AssertRows(left.Join(right, ["s", "n"]), ["x", 1L, 1, 10], ["x", 1L, 1, 11], ["", 0L, 6, 60]);
        AssertRows(
            left.Join(right, ["s", "n"], JoinType.Full),
            ["x", 1L, 1, 10],
            ["x", 1L, 1, 11],
            ["", 0L, 6, 60],
            ["x", 2L, 2, null],
            ["y", 1L, 3, null],
            [null, 1L, 4, null],
            ["x", null, 5, null],
            ["y", 2L, null, 20],
            [null, 1L, null, 30]);
    }

    [Fact]
    public void IntegerKeysOfDifferentWidthsCompareAsLongAndOutputTheWiderType()
    {
        var left = Of(["k:int", "a:int"], [[1, 1], [2, 2], [null, 3], [-1, 4]]);
        var right = Of(["k:long", "b:int"], [[1L, 10], [4294967298L, 20], [-1L, 40], [5L, 50]]);

        // 4294967298 would equal 2 if the long were truncated to int.
        var inner = left.Join(right, "k");
        AssertSchema(inner, "k:long", "a:int", "b:int");
        AssertRows(inner, [1L, 1, 10], [-1L, 4, 40]);
        AssertRows(left.Join(right, "k", JoinType.Full), [1L, 1, 10], [-1L, 4, 40], [2L, 2, null], [null, 3, null], [4294967298L, null, 20], [5L, null, 50]);

        var small = Of(["k:byte", "c:int"], [[(sbyte)-1, 100], [(sbyte)1, 101]]);
        AssertRows(small.Join(left, "k", JoinType.Right), [1, 101, 1], [2, null, 2], [null, null, 3], [-1, 100, 4]);
    }

    [Fact]
    public void FloatAndDoubleKeysCompareAsDouble()
    {
        var left = Of(["k:float", "a:int"], [[0.5f, 1], [0.1f, 2], [float.NaN, 3], [-0.0f, 4]]);
        var right = Of(["k:double", "b:int"], [[0.5, 10], [0.1, 20], [double.NaN, 30], [0.0, 40]]);
        var joined = left.Join(right, "k");
        AssertSchema(joined, "k:double", "a:int", "b:int");

        // 0.1f is not 0.1 as a double, as in Spark where the float is widened.
        AssertRows(joined, [0.5, 1, 10], [double.NaN, 3, 30], [-0.0, 4, 40]);
    }

    [Fact]
    public void FramesWithOnlyKeyColumnsAndEmptySides()
    {
        var keys = Of(["k:long"], [[1L], [2L], [2L]]);
        var empty = Frame.Empty(SchemaOf("k:long", "v:string"));
        AssertRows(keys.Join(keys, "k"), [1L], [2L], [2L], [2L], [2L]);
        AssertRows(keys.Join(empty, "k"));
        AssertRows(keys.Join(empty, "k", JoinType.Left), [1L, null], [2L, null], [2L, null]);
        AssertRows(empty.Join(keys, "k", JoinType.Full), [1L, null], [2L, null], [2L, null]);
        AssertRows(keys.Join(empty, "k", JoinType.LeftAnti), [1L], [2L], [2L]);
        AssertRows(empty.Join(keys, "k", JoinType.Right), [1L, null], [2L, null], [2L, null]);
    }

    [Fact]
    public void SemiAndAntiIgnoreRightColumnsWithClashingNames()
    {
        var left = Of(["k:int", "v:string"], [[1, "a"], [2, "b"]]);
        var right = Of(["k:int", "v:double"], [[1, 1.0], [1, 2.0]]);
        AssertRows(left.Join(right, "k", "semi"), [1, "a"]);
        AssertRows(left.Join(right, "k", "anti"), [2, "b"]);
    }

    [Fact]
    public void StringJoinTypeNamesSelectTheJoin()
    {
        AssertRows(Left.Join(Right, ["k"], "left_outer"), [.. Left.Join(Right, "k", JoinType.Left).Collect().Select(r => r.Values.ToArray())]);
        AssertRows(Left.Join(Right, "k", "FULL"), [.. Left.Join(Right, "k", JoinType.Full).Collect().Select(r => r.Values.ToArray())]);
    }

    [Fact]
    public void VectorColumnsTravelThroughTheJoin()
    {
        var left = Of(["k:int", "features:vector"], [[1, new[] { 1.0, 2.0 }], [2, null], [3, Array.Empty<double>()]]);
        var right = Of(["k:int", "label:double"], [[1, 0.5], [3, 1.5], [4, 2.5]]);
        AssertRows(
            left.Join(right, "k", JoinType.Full),
            [1, new[] { 1.0, 2.0 }, 0.5],
            [2, null, null],
            [3, Array.Empty<double>(), 1.5],
            [4, null, 2.5]);
    }
}
