using DuckDB.NET.Data;
using Mlops.Features;
using static Mlops.Features.Tests.Joins.JoinTestFrames;

namespace Mlops.Features.Tests.Joins;

/// <summary>Medium-sized random joins compared with DuckDB running the same join in SQL, as an independent engine.</summary>
public sealed class JoinDuckDbOracleTests
{
    private const int LeftRows = 2000;
    private const int RightRows = 1000;

    public static TheoryData<JoinType, string> Cases()
    {
        var data = new TheoryData<JoinType, string>();
        foreach (var how in Enum.GetValues<JoinType>())
        {
            foreach (var on in new[] { "k", "s", "k,s" })
            {
                data.Add(how, on);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDuckDb(JoinType how, string keys)
    {
        var on = keys.Split(',');
        var random = new Random(4242);
        var leftRows = Enumerable.Range(0, LeftRows).Select(i => Row(random, i)).ToArray();
        var rightRows = Enumerable.Range(0, RightRows).Select(i => Row(random, 10_000 + i)).ToArray();
        var valueColumns = new[] { "k", "s" }.Except(on).ToArray();

        // Non-key columns get a side-specific name so the join has no clashes.
        var left = Of(["k:long", "s:string", "a:int"], leftRows, batchSize: 128);
        var right = Of(["k:long", "s:string", "b:int"], rightRows, batchSize: 100);
        foreach (var c in valueColumns)
        {
            left = left.WithColumnRenamed(c, "l_" + c);
            right = right.WithColumnRenamed(c, "r_" + c);
        }

        var actual = Sorted(left.Join(right, on, how).Collect().Select(r => r.Values));
        var expected = Sorted(DuckDbJoin(leftRows, rightRows, on, valueColumns, how));
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected, actual);
        Assert.NotEmpty(actual);
    }

    private static object?[] Row(Random random, int id) =>
    [
        random.Next(20) == 0 ? null : (long)random.Next(100),
        random.Next(20) == 0 ? null : "s" + random.Next(50) + (random.Next(2) == 0 ? "é" : string.Empty),
        id,
    ];

    private static List<object?[]> DuckDbJoin(object?[][] leftRows, object?[][] rightRows, string[] on, string[] values, JoinType how)
    {
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        Load(connection, "l", "a", leftRows);
        Load(connection, "r", "b", rightRows);

        var keyExpressions = on.Select(k => how switch
        {
            JoinType.Right => $"r.{k}",
            JoinType.Full => $"COALESCE(l.{k}, r.{k})",
            _ => $"l.{k}",
        });
        var condition = string.Join(" AND ", on.Select(k => $"l.{k} = r.{k}"));
        var leftColumns = values.Select(v => $"l.{v}").Append("l.a");
        var rightColumns = values.Select(v => $"r.{v}").Append("r.b");
        var select = string.Join(", ", keyExpressions.Concat(leftColumns).Concat(how is JoinType.LeftSemi or JoinType.LeftAnti ? [] : rightColumns));
        var sql = how switch
        {
            JoinType.Inner => $"SELECT {select} FROM l INNER JOIN r ON {condition}",
            JoinType.Left => $"SELECT {select} FROM l LEFT JOIN r ON {condition}",
            JoinType.Right => $"SELECT {select} FROM l RIGHT JOIN r ON {condition}",
            JoinType.Full => $"SELECT {select} FROM l FULL OUTER JOIN r ON {condition}",
            JoinType.LeftSemi => $"SELECT {select} FROM l WHERE EXISTS (SELECT 1 FROM r WHERE {condition})",
            _ => $"SELECT {select} FROM l WHERE NOT EXISTS (SELECT 1 FROM r WHERE {condition})",
        };

        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    private static void Load(DuckDBConnection connection, string table, string idColumn, object?[][] rows)
    {
        using (var create = connection.CreateCommand())
        {
            create.CommandText = $"CREATE TABLE {table} (k BIGINT, s VARCHAR, {idColumn} INTEGER)";
            create.ExecuteNonQuery();
        }

        using var appender = connection.CreateAppender(table);
        foreach (var row in rows)
        {
            var target = appender.CreateRow();
            target = row[0] is long k ? target.AppendValue(k) : target.AppendNullValue();
            target = row[1] is string s ? target.AppendValue(s) : target.AppendNullValue();
            target.AppendValue((int)row[2]!).EndRow();
        }
    }
}
