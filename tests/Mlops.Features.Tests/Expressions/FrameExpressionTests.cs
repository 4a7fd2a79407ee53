using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using DuckDB.NET.Data;
using static Mlops.Features.Functions;
using static Mlops.Features.Tests.Expressions.ExpressionTestData;

namespace Mlops.Features.Tests.Expressions;

public class FrameExpressionTests
{
    private static readonly Schema PeopleSchema = Schema(("id", Int64Type.Default), ("age", Int32Type.Default), ("name", StringType.Default), ("score", DoubleType.Default));

    private static Frame People() => Rows(
        PeopleSchema,
        [1L, 34, "ann", 1.5],
        [2L, null, "bob", 2.5],
        [3L, 17, null, null],
        [4L, 51, "dan", 4.0],
        [5L, 18, "eve", double.NaN]);

    [Fact]
    public void WithColumnReplacesInPlaceOrAppends()
    {
        var frame = People();
        Assert.Equal(3, frame.PartitionCount);

        var replaced = frame.WithColumn("name", Col("age") * 2);
        var appended = frame.WithColumn("adult", Col("age") >= 18);

        Assert.Equal(["id", "age", "name", "score"], replaced.Columns);
        Assert.IsType<Int32Type>(replaced.Schema.GetFieldByName("name").DataType);
        Assert.Equal([68, null, 34, 102, 36], replaced.Collect().Select(r => r["name"]));
        Assert.Equal(["id", "age", "name", "score", "adult"], appended.Columns);
        Assert.Equal([true, null, false, true, true], appended.Collect().Select(r => r["adult"]));
        Assert.Equal(5, appended.EstimatedRowCount);
    }

    [Fact]
    public void FilterDropsRowsWhereTheConditionIsFalseOrNull()
    {
        var frame = People();

        Assert.Equal([1L, 4L, 5L], frame.Filter(Col("age") >= 18).Collect().Select(r => r["id"]));
        Assert.Equal([2L, 3L], frame.Where(!(Col("age") >= 18) | Col("age").IsNull()).Collect().Select(r => r["id"]));
        Assert.Equal([5L], frame.Filter(Col("score").IsNaN()).Collect().Select(r => r["id"]));
        Assert.Equal([1L, 4L], frame.Filter(Col("name").IsIn("ann", "dan")).Collect().Select(r => r["id"]));
        Assert.Equal(0, frame.Filter(Lit(null)).Count());
        Assert.Equal(5, frame.Filter(true).Count());
        Assert.Equal(["id", "age", "name", "score"], frame.Filter(Col("age") > 0).Columns);
    }

    [Fact]
    public void ExpressionsAreCheckedEagerlyButEvaluatedLazily()
    {
        var reads = 0;
        var source = People().Materialize();
        var frame = Frame.FromPartitions(PeopleSchema, [ct => { Interlocked.Increment(ref reads); return source.ReadBatches(ct); }]);

        var result = frame.Filter(Col("age") > 20).WithColumn("older", Col("age") + 1);

        Assert.Equal(0, reads);
        Assert.Throws<SchemaException>(() => frame.Filter(Col("agee") > 20));
        Assert.Contains("untyped null", Assert.Throws<SchemaException>(() => frame.WithColumn("n", Lit(null))).Message);
        Assert.Equal([35, 52], result.Collect().Select(r => r["older"]));
        Assert.Equal(1, reads);
        Assert.IsType<DoubleType>(frame.WithColumn("n", Lit(null).Cast("double")).Schema.GetFieldByName("n").DataType);
    }

    [Fact]
    public void ExpressionsHaveSparkTextAndStructuralEquality()
    {
        var predicate = (Col("a") + 1 > Col("b") * 2.5) & !Col("flag").IsNull();

        Assert.Equal("(((a + 1) > (b * 2.5)) AND (NOT (flag IS NULL)))", predicate.ToString());
        Assert.True(predicate.Equals((Col("a") + 1 > Col("b") * 2.5) & !Col("flag").IsNull()));
        Assert.Equal(predicate.GetHashCode(), ((Col("a") + 1 > Col("b") * 2.5) & !Col("flag").IsNull()).GetHashCode());
        Assert.False(Col("a").Equals(Lit("a")));
        Assert.Equal("'it\\'s'", Lit("it's").ToString());
        Assert.Equal("CAST(x AS BIGINT) AS y", Col("x").Cast("long").Alias("y").ToString());
        Assert.Equal("(x = NULL)", (Col("x") == null!).ToString());
        Assert.Equal("coalesce(a, 0L)", Coalesce(Col("a"), 0L).ToString());
    }

    [Fact]
    public void EvaluatesOverSlicedArrays()
    {
        var schema = Schema(("s", StringType.Default), ("n", Int32Type.Default), ("flag", BooleanType.Default));
        var rows = Enumerable.Range(0, 30).Select(i => (IReadOnlyList<object?>)[i % 4 == 0 ? null : "v" + i, i % 5 == 0 ? null : i, i % 3 == 0 ? null : i % 2 == 0]).ToList();
        var batch = Frame.FromRows(schema, rows).ReadBatches().Single();
        var sliced = new RecordBatch(schema, Enumerable.Range(0, 3).Select(c => ArrowArrayFactory.Slice(batch.Column(c), 3, 21)), 21);

        var result = Frame.FromBatches(sliced)
            .Filter(((Col("s") > "v1") & Col("flag").IsNotNull()) | (Col("n") % 7 == 0))
            .WithColumn("m", (Col("n") * 2) + Col("s").IsNull().Cast("int"))
            .Collect();

        var expected = Enumerable.Range(3, 21).Where(i =>
        {
            bool? greater = i % 4 == 0 ? null : string.CompareOrdinal("v" + i, "v1") > 0;
            bool? both = i % 3 == 0 ? false : greater;
            bool? seven = i % 5 == 0 ? null : i % 7 == 0;
            return both == true || seven == true;
        }).ToArray();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(i => i % 4 == 0 ? null : "v" + i), result.Select(r => (string?)r["s"]));
        Assert.Equal(expected.Select(i => i % 5 == 0 ? (int?)null : (i * 2) + (i % 4 == 0 ? 1 : 0)), result.Select(r => (int?)r["m"]));
    }

    [Fact]
    public void MatchesDuckDbOnRandomDataWithNulls()
    {
        var random = new Random(7);
        var rows = Enumerable.Range(0, 3_000).Select(i => new object?[]
        {
            (long)i,
            random.NextDouble() < 0.1 ? null : random.Next(-50, 50),
            random.NextDouble() < 0.1 ? null : random.Next(-5, 5),
            random.NextDouble() < 0.1 ? null : Math.Round((random.NextDouble() * 200) - 100, 3),
            random.NextDouble() < 0.1 ? null : random.NextDouble() < 0.5,
        }).ToArray();
        var frame = Frame.FromRows(
            Schema(("id", Int64Type.Default), ("a", Int32Type.Default), ("b", Int32Type.Default), ("c", DoubleType.Default), ("flag", BooleanType.Default)),
            rows,
            batchSize: 256);

        var predicate = (((Col("a") + Col("b")) * 2) > Col("c")) | (Col("flag") & ((Col("a") % 7) == 3)) | !Col("flag");
        var ours = frame.Filter(predicate).WithColumn("v", (Col("a") / Col("b")) + (Col("c") * Col("b")) - Col("a"));

        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        Execute(duck, "CREATE TABLE t (id BIGINT, a INTEGER, b INTEGER, c DOUBLE, flag BOOLEAN)");
        var insert = new StringBuilder("INSERT INTO t VALUES ");
        insert.AppendJoin(", ", rows.Select(r => "(" + string.Join(", ", r.Select(Sql)) + ")"));
        Execute(duck, insert.ToString());
        // DuckDB divides by zero to infinity; Spark (and frames) give null, which NULLIF expresses.
        var expected = Query(duck, "SELECT id, (a / NULLIF(b, 0)) + (c * b) - a FROM t WHERE ((a + b) * 2 > c) OR (flag AND (a % 7 = 3)) OR NOT flag ORDER BY id");

        var actual = ours.Collect().Select(r => ((long)r["id"]!, (double?)r["v"])).ToList();
        Assert.True(actual.Count > 1_000);
        Assert.Equal(expected.Select(e => e.Id), actual.Select(a => a.Item1));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Value.HasValue == actual[i].Item2.HasValue, $"row {expected[i].Id}: duckdb {expected[i].Value}, ours {actual[i].Item2}");
            if (expected[i].Value is { } e)
            {
                Assert.Equal(e, actual[i].Item2!.Value, 9);
            }
        }
    }

    private static string Sql(object? value) => value switch
    {
        null => "NULL",
        bool b => b ? "TRUE" : "FALSE",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new ArgumentException(value.ToString()),
    };

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static List<(long Id, double? Value)> Query(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var result = new List<(long, double?)>();
        while (reader.Read())
        {
            result.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetDouble(1)));
        }

        return result;
    }
}
