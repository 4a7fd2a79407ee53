using System.Collections;
using System.Globalization;
using System.Numerics;
using Apache.Arrow;
using Apache.Arrow.Types;
using DuckDB.NET.Data;

namespace Mlops.Features.Tests.Parquet;

/// <summary>DuckDB as an independent oracle: it reads what we write, and we read what it writes, value by value.</summary>
public sealed class ParquetDuckDbInteropTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void DuckDbReadsOurFolderWithIdenticalValuesAndTypes()
    {
        var frame = ParquetTestData.AllTypesFrame(3000, seed: 21, batchSize: 700);
        var output = _temp.Combine("ours");
        frame.WriteParquet(output, new ParquetWriteOptions { RowGroupSize = 800, DegreeOfParallelism = 2 });
        var glob = output.Replace('\\', '/') + "/*.parquet";

        using var duck = Open();
        var types = Query(duck, $"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{glob}'))")
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        Assert.Equal("BIGINT", types["id"]);
        Assert.Equal("BOOLEAN", types["b"]);
        Assert.Equal("TINYINT", types["i8"]);
        Assert.Equal("SMALLINT", types["i16"]);
        Assert.Equal("INTEGER", types["i32"]);
        Assert.Equal("UTINYINT", types["u8"]);
        Assert.Equal("USMALLINT", types["u16"]);
        Assert.Equal("UINTEGER", types["u32"]);
        Assert.Equal("UBIGINT", types["u64"]);
        Assert.Equal("FLOAT", types["f"]);
        Assert.Equal("DOUBLE", types["d"]);
        Assert.Equal("VARCHAR", types["s"]);
        Assert.Equal("DATE", types["dt"]);
        Assert.Equal("TIMESTAMP WITH TIME ZONE", types["ts"]);
        Assert.Equal("DOUBLE[]", types["v"]);

        var duckRows = Query(duck, $"""
            SELECT CAST(id AS VARCHAR), b, CAST(i8 AS VARCHAR), CAST(i16 AS VARCHAR), CAST(i32 AS VARCHAR), CAST(u8 AS VARCHAR),
                   CAST(u16 AS VARCHAR), CAST(u32 AS VARCHAR), CAST(u64 AS VARCHAR), CAST(f AS DOUBLE), d, s,
                   CAST(dt AS VARCHAR), epoch_us(ts), v
            FROM read_parquet('{glob}') ORDER BY id
            """);
        var ours = frame.Collect().OrderBy(r => (long)r["id"]!).Select(r => r.Values.Select(Canonical).ToArray()).ToList();
        AssertSameTable(ours, duckRows);
    }

    [Fact]
    public void DenseFeatureVectorsSplitAcrossRowGroupsReadBackInDuckDb()
    {
        // Every row holds three values (the VectorAssembler's shape); batches of 700 straddle row groups of 1000.
        var random = new Random(23);
        var schema = new Schema([new Field("id", Int64Type.Default, false), new Field("features", new ListType(new Field("item", DoubleType.Default, false)), false)], null);
        var rows = Enumerable.Range(0, 5000).Select(i => (IReadOnlyList<object?>)[(long)i, new[] { random.NextDouble(), i * 0.5, -random.NextDouble() }]).ToList();
        var frame = Frame.FromRows(schema, rows, batchSize: 700);
        var output = _temp.Combine("vectors");
        frame.WriteParquet(output, new ParquetWriteOptions { RowGroupSize = 1000, DegreeOfParallelism = 2 });

        using var duck = Open();
        var duckRows = Query(duck, $"SELECT id, features[1], features[2], features[3], len(features) FROM read_parquet('{output.Replace('\\', '/')}/*.parquet') ORDER BY id");

        Assert.Equal(5000, duckRows.Count);
        for (var i = 0; i < duckRows.Count; i++)
        {
            var expected = (double[])rows[i][1]!;
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), duckRows[i][0]);
            Assert.Equal(expected, new[] { (double)duckRows[i][1]!, (double)duckRows[i][2]!, (double)duckRows[i][3]! });
            Assert.Equal("3", duckRows[i][4]);
        }

        ParquetTestData.AssertSameRows(frame.Collect(), Frame.ReadParquet(output).Collect(), "id");
    }

    [Fact]
    public void WeReadDuckDbFilesWithIdenticalValues()
    {
        var file = _temp.Combine("duck.parquet").Replace('\\', '/');
        using var duck = Open();
        Execute(duck, $"""
            COPY (
              SELECT i AS id,
                CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
                CASE WHEN i % 11 = 0 THEN NULL ELSE CAST(i % 256 - 128 AS TINYINT) END AS i8,
                CAST(i * 7 % 65536 - 32768 AS SMALLINT) AS i16,
                CASE WHEN i % 5 = 0 THEN NULL ELSE CAST(i * 2654435 % 4294967296 - 2147483648 AS INTEGER) END AS i32,
                CAST(i AS BIGINT) * 1000003 - 5000000000 AS i64,
                CAST(i % 256 AS UTINYINT) AS u8,
                CAST(i % 65536 AS USMALLINT) AS u16,
                CAST(i * 3000017 % 4294967296 AS UINTEGER) AS u32,
                CAST(18446744073709551615 - i AS UBIGINT) AS u64,
                CAST(i / 7 AS FLOAT) AS f,
                CASE WHEN i % 13 = 0 THEN NULL WHEN i % 17 = 0 THEN CAST('NaN' AS DOUBLE) WHEN i % 19 = 0 THEN CAST('-inf' AS DOUBLE) ELSE CAST(i AS DOUBLE) * 1.25 - 3 END AS d,
                CASE WHEN i % 9 = 0 THEN NULL WHEN i % 4 = 0 THEN '' ELSE 'välue ' || i || ' 🚀 日本' END AS s,
                CASE WHEN i % 8 = 0 THEN NULL ELSE DATE '1970-01-01' + CAST(i * 37 % 40000 - 20000 AS INTEGER) END AS dt,
                TIMESTAMP '2020-01-01' + to_microseconds(i * 1234567) AS ts_naive,
                CASE WHEN i % 6 = 0 THEN NULL ELSE to_timestamp(981173106 + i) END AS ts_tz,
                CAST(TIMESTAMP '2010-06-01' + to_milliseconds(i * 77) AS TIMESTAMP_MS) AS ts_ms,
                CAST(TIMESTAMP '1960-06-01' + to_microseconds(i * 3) AS TIMESTAMP_NS) AS ts_ns,
                CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN CAST([] AS DOUBLE[])
                     ELSE CAST([i * 0.5, i * 1.5, CASE WHEN i % 3 = 0 THEN NULL ELSE -i END] AS DOUBLE[]) END AS v
              FROM range(0, 3000) t(i)
            ) TO '{file}' (FORMAT parquet, ROW_GROUP_SIZE 1000)
            """);

        var frame = Frame.ReadParquet(file);

        var rowGroups = Convert.ToInt32(Query(duck, $"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{file}')")[0][0], CultureInfo.InvariantCulture);
        Assert.True(rowGroups > 1, "DuckDB should have written several row groups");
        Assert.Equal(rowGroups, frame.PartitionCount);
        Assert.Equal(3000, frame.EstimatedRowCount);
        var duckRows = Query(duck, $"""
            SELECT CAST(id AS VARCHAR), b, CAST(i8 AS VARCHAR), CAST(i16 AS VARCHAR), CAST(i32 AS VARCHAR), CAST(i64 AS VARCHAR),
                   CAST(u8 AS VARCHAR), CAST(u16 AS VARCHAR), CAST(u32 AS VARCHAR), CAST(u64 AS VARCHAR), CAST(f AS DOUBLE), d, s,
                   CAST(dt AS VARCHAR), epoch_us(ts_naive), epoch_us(ts_tz), epoch_us(ts_ms), epoch_us(ts_ns),
                   list_transform(v, x -> coalesce(x, CAST('NaN' AS DOUBLE)))
            FROM read_parquet('{file}') ORDER BY id
            """);
        var ours = frame.Collect().OrderBy(r => (long)r["id"]!).Select(r => r.Values.Select(Canonical).ToArray()).ToList();
        AssertSameTable(ours, duckRows);

        // Null list elements must be nulls, not values: count them in the Arrow child arrays.
        var nullElements = frame.ReadBatches().Sum(b => ((ListArray)b.Column(b.Schema.GetFieldIndex("v"))).Values.NullCount);
        var duckNullElements = Convert.ToInt64(Query(duck, $"SELECT sum(len(list_filter(v, x -> x IS NULL))) FROM read_parquet('{file}')")[0][0], CultureInfo.InvariantCulture);
        Assert.Equal(duckNullElements, nullElements);
        Assert.True(nullElements > 0);
    }

    [Fact]
    public void ProjectionOfADuckDbFileDecodesOnlyTheRequestedColumns()
    {
        var file = _temp.Combine("wide.parquet").Replace('\\', '/');
        using var duck = Open();
        Execute(duck, $"COPY (SELECT i AS id, CAST(i AS DECIMAL(10,2)) AS price, 'x' || i AS name FROM range(0, 100) t(i)) TO '{file}' (FORMAT parquet)");

        var frame = Frame.ReadParquet(file, new ParquetReadOptions { Columns = ["name", "id"] });

        var rows = frame.Collect().OrderBy(r => (long)r["id"]!).ToList();
        Assert.Equal(100, rows.Count);
        Assert.Equal("x42", rows[42]["name"]);
    }

    internal static DuckDBConnection Open()
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        return connection;
    }

    internal static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static List<object?[]> Query(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : Canonical(reader.GetValue(i));
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>One comparable form per value: integers as invariant text, floats as double, instants as epoch microseconds.</summary>
    private static object? Canonical(object? value) => value switch
    {
        null or DBNull => null,
        string s => s,
        bool b => b,
        float f => (double)f,
        double d => d,
        sbyte or short or int or long or byte or ushort or uint or ulong or BigInteger => Convert.ToString(value, CultureInfo.InvariantCulture),
        DateTime t => (t.Ticks - ParquetTestData.Epoch.Ticks) / 10,
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        IEnumerable e => e.Cast<object?>().Select(x => x is null ? double.NaN : Canonical(x)).ToList(),
        _ => value,
    };

    private static void AssertSameTable(List<object?[]> ours, List<object?[]> duck)
    {
        Assert.Equal(duck.Count, ours.Count);
        for (var r = 0; r < ours.Count; r++)
        {
            Assert.Equal(duck[r].Length, ours[r].Length);
            for (var c = 0; c < ours[r].Length; c++)
            {
                var where = $"row {r}, column {c}";
                if (ours[r][c] is long && duck[r][c] is string)
                {
                    // DuckDB returned an integer as text (it was cast); compare as text.
                    Assert.Equal(duck[r][c], Convert.ToString(ours[r][c], CultureInfo.InvariantCulture));
                    continue;
                }

                ParquetTestData.AssertSameValue(duck[r][c], ours[r][c], where);
            }
        }
    }
}
