using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.ML;
using Microsoft.ML.Data;
using Mlops.Features;

namespace Mlops.MLNet.Tests.Frames;

public class FrameDataViewTests
{
    private static readonly ListType VectorType = new(DoubleType.Default);
    private static readonly TimestampType TimestampType = new(TimeUnit.Microsecond, "UTC");

    private static readonly Schema AllTypes = new(
        [
            new Field("flag", BooleanType.Default, true),
            new Field("i8", Int8Type.Default, true),
            new Field("i16", Int16Type.Default, true),
            new Field("i32", Int32Type.Default, true),
            new Field("i64", Int64Type.Default, true),
            new Field("f32", FloatType.Default, true),
            new Field("f64", DoubleType.Default, true),
            new Field("name", StringType.Default, true),
            new Field("day", Date32Type.Default, true),
            new Field("at", TimestampType, true),
            VectorMetadata.WithSlotNames(new Field("vec", VectorType, true), ["a", "b"]),
        ],
        null);

    private static Frame AllTypesFrame() => Frame.FromRows(
        AllTypes,
        [
            [true, (sbyte)-1, (short)2, 3, 4L, 5.5f, 6.25, "héllo", new DateOnly(2024, 3, 5), new DateTime(2024, 3, 5, 10, 30, 0, DateTimeKind.Utc), new[] { 1.0, 2.0 }],
            [false, (sbyte)7, (short)8, 9, 10L, null, null, null, new DateOnly(1969, 12, 31), new DateTime(1969, 12, 31, 23, 0, 0, DateTimeKind.Utc), null],
            [true, (sbyte)0, (short)0, 0, 0L, float.NaN, -1.0, "", new DateOnly(2000, 1, 1), new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc), new[] { -3.0, 0.5 }],
        ],
        batchSize: 2);

    [Fact]
    public void MapsEveryColumnTypeToMlNet()
    {
        var view = AllTypesFrame().ToDataView();

        Assert.Equal(
            [typeof(bool), typeof(sbyte), typeof(short), typeof(int), typeof(long), typeof(float), typeof(double), typeof(ReadOnlyMemory<char>), typeof(DateTime), typeof(DateTime), typeof(VBuffer<float>)],
            view.Schema.Select(c => c.Type.RawType));
        var vector = (VectorDataViewType)view.Schema["vec"].Type;
        Assert.Equal(2, vector.Size);
        Assert.Equal(NumberDataViewType.Single, vector.ItemType);
        VBuffer<ReadOnlyMemory<char>> names = default;
        view.Schema["vec"].GetSlotNames(ref names);
        Assert.Equal(["a", "b"], names.DenseValues().Select(n => n.ToString()));
        Assert.Equal(3, view.GetRowCount());

        var doubles = AllTypesFrame().ToDataView(new FrameDataViewOptions { VectorsAsSingle = false, DoublesAsSingle = true });
        Assert.Equal(NumberDataViewType.Double, ((VectorDataViewType)doubles.Schema["vec"].Type).ItemType);
        Assert.Equal(NumberDataViewType.Single, doubles.Schema["f64"].Type);
    }

    [Fact]
    public void ReadsValuesAndMapsNullsToMlNetMissingValues()
    {
        var view = AllTypesFrame().ToDataView(new FrameDataViewOptions { Columns = ["f32", "f64", "name", "day", "at", "vec", "i8"] });

        Assert.Equal([5.5f, float.NaN, float.NaN], view.GetColumn<float>("f32"));
        Assert.Equal([6.25, double.NaN, -1.0], view.GetColumn<double>("f64"));
        Assert.Equal(["héllo", "", ""], view.GetColumn<ReadOnlyMemory<char>>("name").Select(m => m.ToString()));
        Assert.Equal([new DateTime(2024, 3, 5), new DateTime(1969, 12, 31), new DateTime(2000, 1, 1)], view.GetColumn<DateTime>("day"));
        Assert.Equal([new DateTime(2024, 3, 5, 10, 30, 0), new DateTime(1969, 12, 31, 23, 0, 0), new DateTime(2000, 1, 1)], view.GetColumn<DateTime>("at"));
        Assert.Equal([[1f, 2f], [float.NaN, float.NaN], [-3f, 0.5f]], view.GetColumn<float[]>("vec"));
        Assert.Equal([(sbyte)-1, (sbyte)7, (sbyte)0], view.GetColumn<sbyte>("i8"));
        Assert.Equal(["f32", "f64", "name", "day", "at", "vec", "i8"], view.Schema.Select(c => c.Name));
    }

    [Fact]
    public void NullsInTypesWithoutMissingValuesFailOrReadAsDefault()
    {
        var frame = Frame.FromRows(new Schema([new Field("n", Int32Type.Default, true)], null), [[1], [2], [3], [null]], batchSize: 2);

        var error = Assert.Throws<DataFormatException>(() => frame.ToDataView().GetColumn<int>("n").ToList());
        Assert.Equal("n", error.Column);
        Assert.Contains("row 1 of partition 1", error.Message);
        Assert.Contains("NullsAsDefault", error.Message);
        Assert.Equal([1, 2, 3, 0], frame.ToDataView(new FrameDataViewOptions { NullsAsDefault = true }).GetColumn<int>("n"));
    }

    [Fact]
    public void CursorsServeOnlyTheRequestedColumnsAndCheckGetterTypes()
    {
        var view = AllTypesFrame().ToDataView();
        using var cursor = view.GetRowCursor([view.Schema["i32"]]);

        Assert.True(cursor.IsColumnActive(view.Schema["i32"]));
        Assert.False(cursor.IsColumnActive(view.Schema["name"]));
        Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["name"]));
        Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<long>(view.Schema["i32"]));
        var getter = cursor.GetGetter<int>(view.Schema["i32"]);
        var values = new List<int>();
        while (cursor.MoveNext())
        {
            var v = 0;
            getter(ref v);
            values.Add(v);
        }

        Assert.Equal([3, 9, 0], values);
        Assert.False(cursor.MoveNext());
        Assert.Equal(2, cursor.Position);
    }

    [Fact]
    public void SeveralCursorsAndCursorSetsSeeTheSameRowsWithTheSameIds()
    {
        var rows = Enumerable.Range(0, 1_000).Select(i => (IReadOnlyList<object?>)[(long)i, i * 0.5]).ToList();
        var frame = Frame.FromRows(new Schema([new Field("id", Int64Type.Default, false), new Field("x", DoubleType.Default, false)], null), rows, batchSize: 64);
        var view = frame.ToDataView();

        var serial = ReadAll(view.GetRowCursor(view.Schema)).ToList();
        var first = view.GetRowCursor(view.Schema);
        var second = view.GetRowCursor(view.Schema);
        var idGetter = first.GetGetter<long>(view.Schema["id"]);
        var idGetter2 = second.GetGetter<long>(view.Schema["id"]);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(first.MoveNext());
            Assert.True(second.MoveNext());
            long a = 0, b = 0;
            idGetter(ref a);
            idGetter2(ref b);
            Assert.Equal(i, a);
            Assert.Equal(i, b);
        }

        first.Dispose();
        second.Dispose();

        var set = view.GetRowCursorSet(view.Schema, 3);
        Assert.Equal(3, set.Length);
        var parallel = set.SelectMany(ReadAll).ToList();
        Assert.Equal(serial.Select(r => r.Id).OrderBy(x => x), parallel.Select(r => r.Id).OrderBy(x => x));
        var idsBySerial = serial.ToDictionary(r => r.Id, r => r.RowId);
        Assert.All(parallel, r => Assert.Equal(idsBySerial[r.Id], r.RowId));

        // Stably sorting the set's rows by batch gives the serial order, as ML.NET's consolidation expects.
        Assert.Equal(serial.Select(r => r.Id), parallel.OrderBy(r => r.Batch).Select(r => r.Id));
        Assert.Equal(1_000, serial.Select(r => r.RowId).Distinct().Count());
    }

    [Fact]
    public void StreamsTheFrameInsteadOfMaterialisingIt()
    {
        var schema = new Schema([new Field("x", DoubleType.Default, false)], null);
        var started = new int[4];
        var partitions = Enumerable.Range(0, 4).Select(p => (FramePartition)(_ => Partition(p))).ToArray();
        var view = Frame.FromPartitions(schema, partitions).ToDataView(new FrameDataViewOptions { DegreeOfParallelism = 1 });

        using var cursor = view.GetRowCursor(view.Schema);
        Assert.Equal([0, 0, 0, 0], started);
        Assert.True(cursor.MoveNext());
        Assert.Equal([1, 0, 0, 0], started);
        Assert.Null(view.GetRowCount());

        IEnumerable<RecordBatch> Partition(int p)
        {
            Interlocked.Increment(ref started[p]);
            var builder = new DoubleArray.Builder().AppendRange(Enumerable.Range(0, 100).Select(i => (double)i));
            yield return new RecordBatch(schema, [builder.Build()], 100);
        }
    }

    [Fact]
    public void RejectsColumnsMlNetCannotHoldListingThemAll()
    {
        var schema = new Schema([new Field("u", UInt32Type.Default, true), new Field("x", DoubleType.Default, true), new Field("u64", UInt64Type.Default, true)], null);
        var frame = Frame.FromRows(schema, [[1u, 1.0, 2ul]]);

        var error = Assert.Throws<SchemaException>(() => frame.ToDataView());
        Assert.Contains("'u' has type", error.Message);
        Assert.Contains("'u64' has type", error.Message);
        Assert.Contains("'nope' does not exist", Assert.Throws<SchemaException>(() => frame.ToDataView(new FrameDataViewOptions { Columns = ["x", "nope"] })).Message);
        Assert.Single(frame.ToDataView(new FrameDataViewOptions { Columns = ["x"] }).Schema);
    }

    private static IEnumerable<(long Id, DataViewRowId RowId, long Batch)> ReadAll(DataViewRowCursor cursor)
    {
        using (cursor)
        {
            var id = cursor.GetGetter<long>(cursor.Schema["id"]);
            var rowId = cursor.GetIdGetter();
            var lastBatch = long.MinValue;
            var result = new List<(long, DataViewRowId, long)>();
            while (cursor.MoveNext())
            {
                long v = 0;
                DataViewRowId r = default;
                id(ref v);
                rowId(ref r);
                Assert.True(cursor.Batch >= lastBatch);
                lastBatch = cursor.Batch;
                result.Add((v, r, cursor.Batch));
            }

            return result;
        }
    }
}
