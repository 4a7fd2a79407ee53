using Mlops.Features;
using static Mlops.Features.Tests.Joins.JoinTestFrames;

namespace Mlops.Features.Tests.Joins;

/// <summary>Bad joins fail when the join is declared, with messages that name what is wrong and what to do.</summary>
public sealed class JoinErrorTests
{
    private static readonly Frame Users = Of(["user_id:long", "name:string", "age:int", "country:string"], [[1L, "a", 30, "DE"]]);

    [Fact]
    public void ClashingNonKeyColumnsAreAllListedWithTheFix()
    {
        var other = Of(["user_id:long", "age:int", "score:double", "country:string"], [[1L, 31, 0.5, "FR"]]);
        var e = Assert.Throws<SchemaException>(() => Users.Join(other, "user_id"));
        Assert.Contains("'age'", e.Message);
        Assert.Contains("'country'", e.Message);
        Assert.DoesNotContain("'score'", e.Message);
        Assert.DoesNotContain("'user_id'", e.Message);
        Assert.Contains("WithColumnRenamed", e.Message);
        Assert.Contains("Drop", e.Message);

        // Renaming fixes it.
        var fixedJoin = Users.Join(other.WithColumnRenamed("age", "other_age").Drop("country"), "user_id");
        Assert.Equal(["user_id", "name", "age", "country", "other_age", "score"], fixedJoin.Columns);
    }

    [Fact]
    public void MissingKeyNamesTheSideAndListsItsColumns()
    {
        var other = Of(["id:long", "score:double"], [[1L, 0.5]]);
        var right = Assert.Throws<SchemaException>(() => Users.Join(other, "user_id"));
        Assert.Contains("'user_id'", right.Message);
        Assert.Contains("right", right.Message);
        Assert.Contains("id, score", right.Message);

        var left = Assert.Throws<SchemaException>(() => other.Join(Users, "user_id"));
        Assert.Contains("left", left.Message);
        Assert.Contains("id, score", left.Message);
    }

    [Theory]
    [InlineData("string", "int")]
    [InlineData("int", "double")]
    [InlineData("date", "timestamp")]
    [InlineData("bool", "int")]
    [InlineData("long", "float")]
    public void IncompatibleKeyTypesNameBothTypes(string leftType, string rightType)
    {
        var left = Frame.Empty(SchemaOf("k:" + leftType));
        var right = Frame.Empty(SchemaOf("k:" + rightType));
        var e = Assert.Throws<SchemaException>(() => left.Join(right, "k"));
        Assert.Contains("'k'", e.Message);
        Assert.Contains(FrameText.TypeName(TypeOf(leftType)), e.Message);
        Assert.Contains(FrameText.TypeName(TypeOf(rightType)), e.Message);
    }

    [Fact]
    public void TimestampsOfDifferentUnitsAreIncompatible()
    {
        var left = Frame.Empty(new Apache.Arrow.Schema([new Apache.Arrow.Field("t", new Apache.Arrow.Types.TimestampType(Apache.Arrow.Types.TimeUnit.Millisecond, "UTC"), true)], null));
        var right = Frame.Empty(SchemaOf("t:timestamp"));
        var e = Assert.Throws<SchemaException>(() => left.Join(right, "t"));
        Assert.Contains("millisecond", e.Message);
        Assert.Contains("microsecond", e.Message);
    }

    [Fact]
    public void ListColumnsCannotBeKeys()
    {
        var frame = Frame.Empty(SchemaOf("v:vector"));
        var e = Assert.Throws<SchemaException>(() => frame.Join(frame, "v"));
        Assert.Contains("List columns cannot be join keys", e.Message);
    }

    [Theory]
    [InlineData("cross", "not supported")]
    [InlineData("CROSS", "not supported")]
    [InlineData("left-outer", "Unknown join type 'left-outer'")]
    [InlineData("", "Unknown join type")]
    public void UnsupportedJoinTypeNamesAreRejected(string how, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Users.Join(Users.Select("user_id"), "user_id", how));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("inner", JoinType.Inner)]
    [InlineData("INNER", JoinType.Inner)]
    [InlineData("left", JoinType.Left)]
    [InlineData("leftouter", JoinType.Left)]
    [InlineData("Left_Outer", JoinType.Left)]
    [InlineData("right", JoinType.Right)]
    [InlineData("rightouter", JoinType.Right)]
    [InlineData("right_outer", JoinType.Right)]
    [InlineData("full", JoinType.Full)]
    [InlineData("outer", JoinType.Full)]
    [InlineData("fullouter", JoinType.Full)]
    [InlineData("full_outer", JoinType.Full)]
    [InlineData("semi", JoinType.LeftSemi)]
    [InlineData("leftsemi", JoinType.LeftSemi)]
    [InlineData("left_semi", JoinType.LeftSemi)]
    [InlineData("anti", JoinType.LeftAnti)]
    [InlineData("LeftAnti", JoinType.LeftAnti)]
    [InlineData("left_anti", JoinType.LeftAnti)]
    public void SparkJoinTypeNamesParse(string name, JoinType expected) =>
        Assert.Equal(expected, JoinTypes.Parse(name));

    [Fact]
    public void KeyListsMustBeNonEmptyAndDistinct()
    {
        Assert.Throws<ArgumentException>(() => Users.Join(Users, Array.Empty<string>()));
        Assert.Throws<ArgumentException>(() => Users.Join(Users.Select("user_id"), ["user_id", "user_id"]));
        Assert.Throws<ArgumentNullException>(() => Users.Join(null!, "user_id"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Users.Join(Users.Select("user_id"), ["user_id"], (JoinType)42));
    }
}
