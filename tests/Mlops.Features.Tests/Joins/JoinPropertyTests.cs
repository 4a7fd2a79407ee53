using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features;
using Mlops.Features.Joins;
using static Mlops.Features.Tests.Joins.JoinTestFrames;

namespace Mlops.Features.Tests.Joins;

/// <summary>
/// Random small joins compared with a nested-loop reference that follows Spark's rules literally. Keys come
/// from tiny domains with nulls, NaN and -0.0, so duplicates and misses are common; each case runs with
/// the build side on the left and on the right.
/// </summary>
public sealed class JoinPropertyTests
{
    private const int Cases = 200;

    // (left type, right type) pairs a key column may have.
    private static readonly (string Left, string Right)[] KeyTypes =
    [
        ("int", "int"), ("long", "long"), ("int", "long"), ("long", "byte"), ("short", "int"),
        ("double", "double"), ("float", "double"), ("double", "float"), ("float", "float"),
        ("string", "string"), ("bool", "bool"), ("date", "date"), ("timestamp", "timestamp"),
    ];

    private static readonly string[] Strings = ["", "a", "A", "é", "日本", "a\0", "😀"];
    private static readonly DateOnly Day = new(2023, 12, 31);
    private static readonly DateTime Time = new(2023, 12, 31, 23, 59, 59, DateTimeKind.Utc);

    public static TheoryData<JoinType> JoinTypeValues => [.. Enum.GetValues<JoinType>()];

    [Theory]
    [MemberData(nameof(JoinTypeValues))]
    public void MatchesNestedLoopReference(JoinType how)
    {
        var buildSides = new HashSet<bool>();
        for (var c = 0; c < Cases; c++)
        {
            var random = new Random(((int)how * 1000) + c);
            var keyCount = random.Next(1, 3);
            var keys = Enumerable.Range(0, keyCount).Select(i => KeyTypes[random.Next(KeyTypes.Length)]).ToArray();
            var leftNullable = keys.Select(_ => random.Next(4) != 0).ToArray();
            var rightNullable = keys.Select(_ => random.Next(4) != 0).ToArray();
            var leftColumns = keys.Select((k, i) => $"k{i}:{k.Left}{(leftNullable[i] ? string.Empty : "!")}").Append("la:int!").ToArray();
            var rightColumns = keys.Select((k, i) => $"k{i}:{k.Right}{(rightNullable[i] ? string.Empty : "!")}").Append("rb:string").ToArray();

            // Right keys first in the right frame, to check output order does not follow the right's layout.
            rightColumns = [rightColumns[^1], .. rightColumns[..^1]];
            var leftRows = Rows(random, keys.Select(k => k.Left).ToArray(), leftNullable, i => i);
            var rightRows = Rows(random, keys.Select(k => k.Right).ToArray(), rightNullable, i => random.Next(5) == 0 ? null : "r" + i)
                .Select(r => (object?[])[r[^1], .. r[..^1]]).ToList();
            var left = Of(leftColumns, [.. leftRows], batchSize: random.Next(1, 9));
            var right = Of(rightColumns, [.. rightRows], batchSize: random.Next(1, 9));
            var on = keys.Select((_, i) => "k" + i).ToArray();

            var expectedSchema = ExpectedSchema(how, keys, leftNullable, rightNullable);
            var expected = Sorted(Reference(how, keys, leftRows, rightRows));
            foreach (var (leftEstimate, rightEstimate) in new[] { (1L, 1000L), (1000L, 1L) })
            {
                var l = WithEstimate(left, leftEstimate);
                var r = WithEstimate(right, rightEstimate);
                buildSides.Add(JoinPlan.Create(l, r, on, how).BuildOnLeft);
                var joined = l.Join(r, on, how);
                var context = $"case {c}, keys {string.Join(", ", keys)}, estimates {leftEstimate}/{rightEstimate}";
                Assert.True(expectedSchema.SequenceEqual(joined.Schema.FieldsList.Select(Describe)), context + ": schema " + string.Join(", ", joined.Schema.FieldsList.Select(Describe)));
                var actual = Sorted(joined.Collect().Select(row => row.Values));
                if (!expected.SequenceEqual(actual))
                {
                    Assert.Fail($"{context}\nexpected:\n{string.Join("\n", expected)}\nactual:\n{string.Join("\n", actual)}");
                }
            }
        }

        // Inner and full joins build on whichever side is estimated smaller: both were exercised.
        Assert.Equal(how is JoinType.Inner or JoinType.Full ? 2 : 1, buildSides.Count);
    }

    private static List<object?[]> Rows(Random random, string[] types, bool[] nullable, Func<int, object?> last)
    {
        var count = random.Next(0, 31);
        var rows = new List<object?[]>(count);
        for (var i = 0; i < count; i++)
        {
            var row = new object?[types.Length + 1];
            for (var k = 0; k < types.Length; k++)
            {
                row[k] = nullable[k] && random.Next(6) == 0 ? null : Value(random, types[k]);
            }

            row[^1] = last(i);
            rows.Add(row);
        }

        return rows;
    }

    private static object Value(Random random, string type) => type switch
    {
        "byte" => (sbyte)(random.Next(4) - 1),
        "short" => (short)(random.Next(4) - 1),
        "int" => random.Next(4) - 1,
        "long" => (long)(random.Next(4) - 1),
        "float" => new[] { 0f, -0f, 1.5f, float.NaN, 0.1f }[random.Next(5)],
        "double" => new[] { 0.0, -0.0, 1.5, double.NaN, 0.1 }[random.Next(5)],
        "string" => Strings[random.Next(Strings.Length)],
        "bool" => random.Next(2) == 0,
        "date" => Day.AddDays(random.Next(3)),
        "timestamp" => Time.AddTicks(10 * random.Next(3)),
        _ => throw new ArgumentException(type),
    };

    // Spark's JOIN USING, literally: every left row against every right row.
    private static List<object?[]> Reference(JoinType how, (string Left, string Right)[] keys, List<object?[]> left, List<object?[]> right)
    {
        var n = keys.Length;
        var output = new List<object?[]>();
        var rightMatched = new bool[right.Count];
        foreach (var l in left)
        {
            var matched = false;
            for (var j = 0; j < right.Count; j++)
            {
                var r = right[j];
                if (Enumerable.Range(0, n).All(k => KeyEquals(l[k], r[k + 1])))
                {
                    matched = rightMatched[j] = true;
                    if (how is not (JoinType.LeftSemi or JoinType.LeftAnti))
                    {
                        output.Add([.. OutputKeys(how, keys, l, r), l[^1], r[0]]);
                    }
                }
            }

            if (how == JoinType.LeftSemi && matched)
            {
                output.Add([.. OutputKeys(how, keys, l, null), l[^1]]);
            }

            if (!matched && how is JoinType.Left or JoinType.Full)
            {
                output.Add([.. OutputKeys(how, keys, l, null), l[^1], null]);
            }

            if (!matched && how == JoinType.LeftAnti)
            {
                output.Add([.. OutputKeys(how, keys, l, null), l[^1]]);
            }
        }

        if (how is JoinType.Right or JoinType.Full)
        {
            for (var j = 0; j < right.Count; j++)
            {
                if (!rightMatched[j])
                {
                    output.Add([.. OutputKeys(how, keys, null, right[j]), null, right[j][0]]);
                }
            }
        }

        return output;
    }

    private static IEnumerable<object?> OutputKeys(JoinType how, (string Left, string Right)[] keys, object?[]? left, object?[]? right)
    {
        for (var k = 0; k < keys.Length; k++)
        {
            var l = left?[k];
            var r = right?[k + 1];
            var value = how switch
            {
                JoinType.Right => r,
                JoinType.Full => l ?? r,
                _ => l,
            };
            yield return Convert(value, OutputType(keys[k]));
        }
    }

    private static bool KeyEquals(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return false;
        }

        if (a is float or double)
        {
            var x = System.Convert.ToDouble(a, System.Globalization.CultureInfo.InvariantCulture);
            var y = System.Convert.ToDouble(b, System.Globalization.CultureInfo.InvariantCulture);
            return x == y || (double.IsNaN(x) && double.IsNaN(y));
        }

        if (a is sbyte or short or int or long)
        {
            return System.Convert.ToInt64(a, System.Globalization.CultureInfo.InvariantCulture) == System.Convert.ToInt64(b, System.Globalization.CultureInfo.InvariantCulture);
        }

        return a.Equals(b);
    }

    private static string OutputType((string Left, string Right) key) => key switch
    {
        var (l, r) when l == r => l,
        ("float", _) or (_, "float") => "double",
        ("long", _) or (_, "long") => "long",
        _ => "int",
    };

    private static object? Convert(object? value, string type) => value switch
    {
        null => null,
        float f when type == "double" => (double)f,
        sbyte or short or int when type == "long" => System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        sbyte or short when type == "int" => System.Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture),
        _ => value,
    };

    private static string[] ExpectedSchema(JoinType how, (string Left, string Right)[] keys, bool[] leftNullable, bool[] rightNullable)
    {
        var fields = new List<string>();
        for (var k = 0; k < keys.Length; k++)
        {
            var nullable = how switch
            {
                JoinType.Right => rightNullable[k],
                JoinType.Full => leftNullable[k] || rightNullable[k],
                _ => leftNullable[k],
            };
            fields.Add($"k{k}:{OutputType(keys[k])}{(nullable ? string.Empty : "!")}");
        }

        fields.Add(how is JoinType.Right or JoinType.Full ? "la:int" : "la:int!");
        if (how is not (JoinType.LeftSemi or JoinType.LeftAnti))
        {
            fields.Add("rb:string");
        }

        return [.. SchemaOf([.. fields]).FieldsList.Select(Describe)];
    }
}
