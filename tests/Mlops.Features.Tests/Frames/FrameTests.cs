using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features.Tests.Frames;

public class FrameTests
{
    private static readonly Schema People = new Schema.Builder()
        .Field(f => f.Name("id").DataType(Int64Type.Default).Nullable(false))
        .Field(f => f.Name("name").DataType(StringType.Default))
        .Field(f => f.Name("age").DataType(Int32Type.Default))
        .Build();

    private static Frame Sample(int batchSize = 2) => Frame.FromRows(
        People,
        [
            [1L, "ann", 34],
            [2L, "bob", null],
            [3L, "cy", 51],
            [4L, null, 19],
            [5L, "dee", 27],
        ],
        batchSize);

    [Fact]
    public void FromRows_splits_into_batches_and_partitions()
    {
        var frame = Sample(batchSize: 2);

        Assert.Equal(3, frame.PartitionCount);
        Assert.Equal(5, frame.EstimatedRowCount);
        Assert.Equal(5, frame.Count());
        Assert.Equal([2, 2, 1], frame.ReadBatches().Select(b => b.Length));
    }

    [Fact]
    public void Collect_returns_rows_in_partition_order_with_nulls()
    {
        var rows = Sample().Collect();

        Assert.Equal([1L, 2L, 3L, 4L, 5L], rows.Select(r => r["id"]));
        Assert.Null(rows[1]["age"]);
        Assert.Null(rows[3]["name"]);
        Assert.Equal(51, rows[2].Get<int>("age"));
    }

    [Fact]
    public void Select_reorders_and_drops_columns()
    {
        var frame = Sample().Select("age", "id");

        Assert.Equal(["age", "id"], frame.Columns);
        Assert.Equal([34, 1L], frame.Head()[0].Values);
    }

    [Fact]
    public void Select_of_a_missing_column_names_it_and_lists_the_columns()
    {
        var e = Assert.Throws<SchemaException>(() => Sample().Select("id", "salary"));

        Assert.Contains("'salary'", e.Message);
        Assert.Contains("id, name, age", e.Message);
    }

    [Fact]
    public void Drop_and_rename_follow_spark()
    {
        var frame = Sample().Drop("name", "nonexistent").WithColumnRenamed("age", "years").WithColumnRenamed("missing", "x");

        Assert.Equal(["id", "years"], frame.Columns);
        Assert.Throws<SchemaException>(() => Sample().WithColumnRenamed("age", "id"));
    }

    [Fact]
    public void Limit_and_head_read_only_what_they_need()
    {
        var reads = 0;
        var batch = Sample(5).ReadBatches().Single();
        var partitions = Enumerable.Range(0, 10).Select(_ => (FramePartition)(_ => Count(batch)));
        var frame = Frame.FromPartitions(People, partitions);

        var rows = frame.Head(7);

        Assert.Equal(7, rows.Count);
        Assert.Equal(2, reads);

        IEnumerable<RecordBatch> Count(RecordBatch b)
        {
            reads++;
            yield return b;
        }
    }

    [Fact]
    public void Show_prints_a_spark_style_table()
    {
        var text = Sample().ShowString(numRows: 2);

        var expected = string.Join("\n",
            "+---+----+----+",
            "| id|name| age|",
            "+---+----+----+",
            "|  1| ann|  34|",
            "|  2| bob|null|",
            "+---+----+----+",
            "only showing top 2 rows",
            string.Empty);
        Assert.Equal(expected, text);
    }

    [Fact]
    public void Show_truncates_long_cells()
    {
        var frame = Frame.FromRows(new Schema.Builder().Field(f => f.Name("s").DataType(StringType.Default)).Build(), [["abcdefghijklmnopqrstuvwxyz"]]);

        Assert.Contains("|abcdefghijklmnopq...|", frame.ShowString());
    }

    [Fact]
    public void Materialize_keeps_the_rows()
    {
        var frame = Sample(1).Materialize();

        Assert.Equal(Sample().Collect().Select(r => r.ToString()), frame.Collect().Select(r => r.ToString()));
    }

    [Fact]
    public void A_failing_partition_surfaces_its_exception_from_actions()
    {
        var batch = Sample(5).ReadBatches().Single();
        var partitions = new FramePartition[]
        {
            _ => [batch],
            _ => throw new InvalidOperationException("partition 1 broke"),
            _ => [batch],
        };
        var frame = Frame.FromPartitions(People, partitions);

        Assert.Equal("partition 1 broke", Assert.Throws<InvalidOperationException>(() => frame.Count()).Message);
        Assert.Equal("partition 1 broke", Assert.Throws<InvalidOperationException>(() => frame.ReadBatches().ToList()).Message);
    }

    [Fact]
    public void Ordered_reading_of_many_partitions_keeps_order_under_parallelism()
    {
        var schema = new Schema.Builder().Field(f => f.Name("i").DataType(Int64Type.Default)).Build();
        var frame = Frame.FromRows(schema, Enumerable.Range(0, 1000).Select(i => (IReadOnlyList<object?>)[(long)i]), batchSize: 7);

        var values = frame.ReadBatches(degreeOfParallelism: 4).SelectMany(b => ((Int64Array)b.Column(0)).Values.ToArray()).ToList();

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), values);
    }

    [Fact]
    public void Cancellation_stops_an_action()
    {
        using var cts = new CancellationTokenSource();
        var batch = Sample(5).ReadBatches().Single();
        var partitions = Enumerable.Range(0, 100).Select(_ => (FramePartition)(ct => Slow(batch, cts, ct)));
        var frame = Frame.FromPartitions(People, partitions);

        Assert.ThrowsAny<OperationCanceledException>(() => frame.Count(cts.Token));

        static IEnumerable<RecordBatch> Slow(RecordBatch b, CancellationTokenSource cts, CancellationToken ct)
        {
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
            yield return b;
        }
    }

    [Fact]
    public void FromBatches_rejects_a_batch_with_another_schema()
    {
        var other = new Schema.Builder().Field(f => f.Name("x").DataType(Int64Type.Default)).Build();
        var batch = Frame.FromRows(other, [[1L]]).ReadBatches().Single();

        var e = Assert.Throws<SchemaException>(() => Frame.FromBatches(People, [batch]));

        Assert.Contains("batch 0", e.Message);
    }

    [Fact]
    public void SchemaString_looks_like_spark_printSchema()
    {
        Assert.Equal("root\n |-- id: bigint (nullable = false)\n |-- name: string (nullable = true)\n |-- age: int (nullable = true)\n", Sample().SchemaString());
    }
}
