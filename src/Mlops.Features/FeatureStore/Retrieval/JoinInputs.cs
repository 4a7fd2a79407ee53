using Apache.Arrow;
using Array = System.Array;
using Apache.Arrow.Types;
using Mlops.Features.FeatureStore.Definitions;

namespace Mlops.Features.FeatureStore.Retrieval;

/// <summary>One feature view's part of a retrieval: its source frame (columns renamed by the field mapping) and what to take from it.</summary>
/// <param name="View">The view.</param>
/// <param name="Source">Its rows, with join keys, timestamp(s) and features under their feature names.</param>
/// <param name="JoinKeys">The view's join keys.</param>
/// <param name="Features">The requested features, in request order.</param>
/// <param name="OutputNames">Their output column names (short or <c>view__feature</c>).</param>
internal sealed record ViewSlice(FeatureView View, Frame Source, IReadOnlyList<string> JoinKeys, IReadOnlyList<string> Features, IReadOnlyList<string> OutputNames)
{
    public long TtlMicros => View.Ttl.Ticks / 10;

    /// <summary>Feature rows older than this (microseconds) are ignored: the start of a time-range retrieval.</summary>
    public long MinEventMicros { get; init; } = long.MinValue;
}

/// <summary>Limits and spill location of one join or materialization.</summary>
/// <param name="BudgetBytes">Rows buffered before partitions spill.</param>
/// <param name="SpillFolder">Where spill files go (a fresh sub-folder per run).</param>
/// <param name="Observer">Receives the counters when a run ends.</param>
internal sealed record SpillSettings(long BudgetBytes, string SpillFolder, Action<SpillStatistics>? Observer)
{
    public string NewRunFolder() => Path.Combine(SpillFolder, "mlops-fs-" + Guid.NewGuid().ToString("N"));
}

/// <summary>Turns source batches into the join's normalized form: hash, keys, event time, created time, features.</summary>
internal static class NormalizedRows
{
    public const string Hash = "__hash";
    public const string EventTime = "__ts";
    public const string CreatedTime = "__created";
    public const string RowId = "__row";

    public static Schema FeatureSchema(ViewSlice slice)
    {
        var source = slice.Source.Schema;
        var fields = new List<Field> { new(Hash, Int64Type.Default, false) };
        fields.AddRange(slice.JoinKeys.Select(k => new Field(k, KeyType(source.GetFieldByName(k).DataType), true)));
        fields.Add(new Field(EventTime, Int64Type.Default, true));
        fields.Add(new Field(CreatedTime, Int64Type.Default, true));
        fields.AddRange(slice.Features.Select(f => new Field(f, source.GetFieldByName(f).DataType, true)));
        return new Schema(fields, null);
    }

    public static Schema EntitySchema(Schema entities, IReadOnlyList<string> joinKeys)
    {
        var fields = new List<Field> { new(Hash, Int64Type.Default, false) };
        fields.AddRange(joinKeys.Select(k => new Field(k, KeyType(entities.GetFieldByName(k).DataType), true)));
        fields.Add(new Field(EventTime, Int64Type.Default, true));
        fields.Add(new Field(RowId, Int64Type.Default, false));
        return new Schema(fields, null);
    }

    /// <summary>Normalizes a source batch; partition[i] is the row's partition, or -1 for a row to drop (null key or time, outside [lo, hi]).</summary>
    public static RecordBatch Features(RecordBatch batch, Schema schema, ViewSlice slice, long lo, long hi, int partitions, int[] partition)
    {
        var keys = slice.JoinKeys.Select(k => KeyArrays.Normalize(batch.Column(batch.Schema.GetFieldIndex(k)))).ToArray();
        var ts = KeyArrays.ToMicros(batch.Column(batch.Schema.GetFieldIndex(slice.View.Source.TimestampField)), slice.View.Source.TimestampField);
        var createdField = slice.View.Source.CreatedTimestampField;
        var created = createdField is null ? null : KeyArrays.ToMicros(batch.Column(batch.Schema.GetFieldIndex(createdField)), createdField);
        var (hashes, valid) = HashRows(keys, batch.Length);
        var times = ts.Values;
        for (var i = 0; i < batch.Length; i++)
        {
            partition[i] = valid[i] && ts.IsValid(i) && times[i] >= lo && times[i] <= hi ? SpillPartitioner.PartitionOf(hashes[i], partitions) : -1;
        }

        var columns = new List<IArrowArray> { HashArray(hashes) };
        columns.AddRange(keys);
        columns.Add(ts);
        columns.Add(created ?? CreatedMissing(batch.Length));
        columns.AddRange(slice.Features.Select(f => batch.Column(batch.Schema.GetFieldIndex(f))));
        return new RecordBatch(schema, columns, batch.Length);
    }

    /// <summary>Normalizes an entity batch whose first row has id <paramref name="firstRow"/>; rows with a null key get partition -1.</summary>
    public static RecordBatch Entities(RecordBatch batch, Schema schema, IReadOnlyList<string> joinKeys, string timestampColumn, long firstRow, int partitions, int[] partition, ref long minTs, ref long maxTs)
    {
        var keys = joinKeys.Select(k => KeyArrays.Normalize(batch.Column(batch.Schema.GetFieldIndex(k)))).ToArray();
        var ts = KeyArrays.ToMicros(batch.Column(batch.Schema.GetFieldIndex(timestampColumn)), timestampColumn);
        if (ts.NullCount > 0)
        {
            var row = Enumerable.Range(0, batch.Length).First(i => !ts.IsValid(i));
            throw new EntityDataException($"Entity row {firstRow + row} has a null '{timestampColumn}'; every entity row needs an event timestamp.");
        }

        var (hashes, valid) = HashRows(keys, batch.Length);
        var times = ts.Values;
        var rows = new long[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            rows[i] = firstRow + i;
            partition[i] = valid[i] ? SpillPartitioner.PartitionOf(hashes[i], partitions) : -1;
            minTs = Math.Min(minTs, times[i]);
            maxTs = Math.Max(maxTs, times[i]);
        }

        var columns = new List<IArrowArray> { HashArray(hashes) };
        columns.AddRange(keys);
        columns.Add(ts);
        columns.Add(new Int64Array(new ArrowBuffer(System.Runtime.InteropServices.MemoryMarshal.AsBytes(rows.AsSpan()).ToArray()), ArrowBuffer.Empty, rows.Length, 0, 0));
        return new RecordBatch(schema, columns, batch.Length);
    }

    private static IArrowType KeyType(IArrowType type) => type is StringType ? StringType.Default : Int64Type.Default;

    private static (ulong[] Hashes, bool[] Valid) HashRows(IArrowArray[] keys, int length)
    {
        var hashes = new ulong[length];
        var valid = new bool[length];
        KeyArrays.Hash(keys, hashes, valid);
        return (hashes, valid);
    }

    private static Int64Array HashArray(ulong[] hashes) =>
        new(new ArrowBuffer(System.Runtime.InteropServices.MemoryMarshal.AsBytes(hashes.AsSpan()).ToArray()), ArrowBuffer.Empty, hashes.Length, 0, 0);

    private static Int64Array CreatedMissing(int length)
    {
        var values = new long[length];
        Array.Fill(values, long.MinValue);
        return new Int64Array(new ArrowBuffer(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray()), ArrowBuffer.Empty, length, 0, 0);
    }
}
