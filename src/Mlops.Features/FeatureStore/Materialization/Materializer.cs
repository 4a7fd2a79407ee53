using Apache.Arrow;
using Array = System.Array;
using Mlops.Features.FeatureStore.Online;
using Mlops.Features.FeatureStore.Retrieval;

namespace Mlops.Features.FeatureStore.Materialization;

/// <summary>
/// Writes the latest row per entity of one view's source in [start, end) to the online store, in bounded memory: the
/// rows are hash-partitioned by key (spilling past the budget), and each partition is sorted by (key, event time,
/// created time) and reduced to its last row per key, then written in batches.
/// </summary>
internal static class Materializer
{
    public static async Task<MaterializationResult> RunAsync(
        ViewSlice slice, DateTimeOffset start, DateTimeOffset end, OnlineStore store, string project, int writeBatch, SpillSettings settings,
        IProgress<MaterializationProgress>? progress, CancellationToken ct)
    {
        var schema = NormalizedRows.FeatureSchema(slice);
        var estimate = slice.Source.EstimatedRowCount is { } n ? n * SpillPartitioner.RowBytes(schema) : (long?)null;
        var partitions = SpillPartitioner.PartitionsFor(estimate, settings.BudgetBytes);
        var stats = new SpillStatistics { Partitions = partitions };
        var folder = settings.NewRunFolder();
        long read = 0, written = 0, skipped = 0;
        var lo = start.UtcTicks / 10 - DateTime.UnixEpoch.Ticks / 10;
        var hi = end.UtcTicks / 10 - DateTime.UnixEpoch.Ticks / 10 - 1;
        try
        {
            using var parts = new SpillPartitioner(schema, partitions, settings.BudgetBytes, folder, stats);
            foreach (var batch in slice.Source.ReadBatches(ct))
            {
                var partition = new int[batch.Length];
                parts.Append(NormalizedRows.Features(batch, schema, slice, lo, hi, partitions, partition), partition);
                stats.FeatureRows += batch.Length;
                foreach (var p in partition)
                {
                    read += p >= 0 ? 1 : 0;
                }
            }

            var features = slice.Features;
            var keys = slice.JoinKeys;
            var renamed = Renamed(schema, slice);
            for (var p = 0; p < partitions; p++)
            {
                var rows = parts.Load(p);
                if (rows is null)
                {
                    continue;
                }

                stats.ObservePartition(rows.Length);
                var latest = Latest(rows, keys.Count);
                var named = new RecordBatch(renamed, Enumerable.Range(0, rows.ColumnCount).Select(rows.Column), rows.Length);
                for (var offset = 0; offset < latest.Length; offset += writeBatch)
                {
                    var chunk = latest.AsSpan(offset, Math.Min(writeBatch, latest.Length - offset));
                    var online = OnlineRows.FromBatch(named, slice.View, keys, features, chunk);
                    var result = await store.WriteAsync(project, slice.View.Name, online, ct).ConfigureAwait(false);
                    written += result.Written;
                    skipped += result.SkippedOlder;
                    progress?.Report(new MaterializationProgress(slice.View.Name, start, end, written, Completed: false));
                }
            }
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            settings.Observer?.Invoke(stats);
        }

        progress?.Report(new MaterializationProgress(slice.View.Name, start, end, written, Completed: true));
        return new MaterializationResult(slice.View.Name, start, end, read, written, skipped);
    }

    /// <summary>Positions of the last row per key after sorting by (key, event time, created time, position).</summary>
    internal static int[] Latest(RecordBatch rows, int keyCount)
    {
        var hash = KeyArrays.Values(rows.Column(0));
        var keys = Enumerable.Range(1, keyCount).Select(rows.Column).ToArray();
        var ts = KeyArrays.Values(rows.Column(keyCount + 1));
        var created = PointInTimeJoin.CreatedValues(rows.Column(keyCount + 2));
        var order = PointInTimeJoin.SortedOrder(hash, keys, ts, created);
        var latest = new List<int>();
        for (var i = 0; i < order.Length; i++)
        {
            if (i == order.Length - 1 || KeyArrays.CompareKeys(hash, keys, order[i], hash, keys, order[i + 1]) != 0)
            {
                latest.Add(order[i]);
            }
        }

        return [.. latest];
    }

    // The normalized batch under the names OnlineRows reads: join keys, the source's timestamp names, features.
    private static Schema Renamed(Schema normalized, ViewSlice slice)
    {
        var fields = normalized.FieldsList.ToList();
        var k = slice.JoinKeys.Count;
        fields[k + 1] = new Field(slice.View.Source.TimestampField, new Apache.Arrow.Types.TimestampType(Apache.Arrow.Types.TimeUnit.Microsecond, "UTC"), true);
        fields[k + 2] = new Field(slice.View.Source.CreatedTimestampField ?? NormalizedRows.CreatedTime, new Apache.Arrow.Types.TimestampType(Apache.Arrow.Types.TimeUnit.Microsecond, "UTC"), true);
        return new Schema(fields, null);
    }
}
