using System.Globalization;
using System.IO.Compression;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features;

namespace Mlops.Benchmarks.FeatureStore;

/// <summary>
/// The point-in-time join benchmark's data, seeded and written once as Snappy Parquet: an entity frame
/// (<c>row_id, entity_id, event_timestamp</c>) and a feature table (<c>entity_id, event_timestamp, created, clicks,
/// score, ratio</c>). Feature rows fall on whole hours over 60 days, so one entity often has several rows at one event
/// time (about 3 such ties per entity at 100 rows per entity), broken by <c>created</c>, which is unique within an
/// (entity, event time) so the expected winner is never down to file order. Entity rows draw 10% of their ids outside
/// the feature table, 0.1% null ids, and 5% of their times on whole hours (exact hits on the inclusive bounds: a
/// feature row at the same time, or one exactly a TTL earlier).
/// </summary>
internal sealed record PointInTimeJoinData(long Entities, long Features, long Keys)
{
    public const int Seed = 20260101;

    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const long Hour = 3_600_000_000L;
    private const long Days60 = 60 * 24 * Hour;
    private const int BatchRows = 65_536;
    private const int PartitionRows = 4 * BatchRows;
    private static readonly TimestampType Timestamp = new(TimeUnit.Microsecond, "UTC");

    public static Schema EntitySchema { get; } = new(
        [
            new Field("row_id", Int64Type.Default, false),
            new Field("entity_id", Int64Type.Default, true),
            new Field("event_timestamp", Timestamp, false),
        ],
        null);

    public static Schema FeatureSchema { get; } = new(
        [
            new Field("entity_id", Int64Type.Default, false),
            new Field("event_timestamp", Timestamp, false),
            new Field("created", Timestamp, false),
            new Field("clicks", Int64Type.Default, true),
            new Field("score", DoubleType.Default, true),
            new Field("ratio", FloatType.Default, true),
        ],
        null);

    /// <summary>The folder of this size's files under <paramref name="root"/>.</summary>
    public string Folder(string root) => Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"data-{Entities}-{Features}-{Keys}"));

    /// <summary>Writes the two Parquet folders (entities in one ordered file, features in two) unless they are there.</summary>
    public (string Entities, string Features) EnsureWritten(string root)
    {
        var folder = Folder(root);
        var entities = Path.Combine(folder, "entities");
        var features = Path.Combine(folder, "features");
        var marker = Path.Combine(folder, "_GENERATED");
        if (File.Exists(marker))
        {
            return (entities, features);
        }

        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        // Snappy with the level given explicitly: Parquet.Net's own default level is its slowest.
        var options = new ParquetWriteOptions { Compression = ParquetCompression.Snappy, CompressionLevel = CompressionLevel.Fastest, Mode = SaveMode.Overwrite };
        Generate(EntitySchema, Entities, EntityBatch).WriteParquet(entities, new ParquetWriteOptions { Compression = options.Compression, CompressionLevel = options.CompressionLevel, Mode = options.Mode, DegreeOfParallelism = 1 });
        Generate(FeatureSchema, Features, FeatureBatch).WriteParquet(features, options);
        File.WriteAllText(marker, ToString());
        return (entities, features);
    }

    private static Frame Generate(Schema schema, long rows, Func<long, int, RecordBatch> batch)
    {
        var partitions = Enumerable.Range(0, (int)((rows + PartitionRows - 1) / PartitionRows)).Select(p => (FramePartition)(_ => Partition(p, rows, batch)));
        return Frame.FromPartitions(schema, partitions.ToList(), rows, rowCountIsExact: true);
    }

    private static IEnumerable<RecordBatch> Partition(int partition, long rows, Func<long, int, RecordBatch> batch)
    {
        var end = Math.Min(rows, (partition + 1L) * PartitionRows);
        for (var first = (long)partition * PartitionRows; first < end; first += BatchRows)
        {
            yield return batch(first, (int)Math.Min(BatchRows, end - first));
        }
    }

    private RecordBatch EntityBatch(long first, int length)
    {
        // Seeded per batch, so the data does not depend on which worker writes which part.
        var random = new Random(unchecked(Seed + (int)(first / BatchRows)));
        var rowIds = new long[length];
        var ids = new long[length];
        var valid = new byte[(length + 7) / 8];
        var times = new long[length];
        var nulls = 0;
        for (var i = 0; i < length; i++)
        {
            rowIds[i] = first + i;
            ids[i] = random.NextInt64(Keys + (Keys / 10));
            if (random.Next(1000) == 0)
            {
                nulls++;
            }
            else
            {
                valid[i >> 3] |= (byte)(1 << (i & 7));
            }

            var micros = random.NextInt64(Days60);
            times[i] = Micros(Start) + (random.Next(20) == 0 ? micros / Hour * Hour : micros);
        }

        return new RecordBatch(EntitySchema, [Int64(rowIds, null, 0), Int64(ids, valid, nulls), Timestamps(times)], length);
    }

    private RecordBatch FeatureBatch(long first, int length)
    {
        var random = new Random(unchecked((Seed ^ 0x5EED) + (int)(first / BatchRows)));
        var bits = Math.Max(1, 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)Features));
        var mask = (1UL << bits) - 1;
        var ids = new long[length];
        var times = new long[length];
        var created = new long[length];
        var clicks = new long[length];
        var clicksValid = new byte[(length + 7) / 8];
        var scores = new double[length];
        var ratios = new float[length];
        var ratiosValid = new byte[(length + 7) / 8];
        int clickNulls = 0, ratioNulls = 0;
        for (var i = 0; i < length; i++)
        {
            ids[i] = random.NextInt64(Keys);
            times[i] = Micros(Start) + (random.NextInt64(Days60 / Hour) * Hour);

            // (row * odd) mod 2^bits is a bijection on the rows, so created differs between any two rows of one
            // entity and event time, in an order unrelated to the file's.
            created[i] = times[i] + (long)(((ulong)(first + i) * 0x9E3779B97F4A7C15UL) & mask) * 64;
            clicks[i] = random.NextInt64(1000);
            if (random.Next(50) == 0)
            {
                clickNulls++;
            }
            else
            {
                clicksValid[i >> 3] |= (byte)(1 << (i & 7));
            }

            scores[i] = random.NextDouble();
            ratios[i] = (float)random.NextDouble();
            if (random.Next(100) == 0)
            {
                ratioNulls++;
            }
            else
            {
                ratiosValid[i >> 3] |= (byte)(1 << (i & 7));
            }
        }

        return new RecordBatch(
            FeatureSchema,
            [
                Int64(ids, null, 0), Timestamps(times), Timestamps(created), Int64(clicks, clicksValid, clickNulls),
                new DoubleArray(ArrayMemory<double>.Buffer(scores), ArrowBuffer.Empty, length, 0, 0),
                new FloatArray(ArrayMemory<float>.Buffer(ratios), new ArrowBuffer(ratiosValid), length, ratioNulls, 0),
            ],
            length);
    }

    public static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;

    private static Int64Array Int64(long[] values, byte[]? valid, int nulls) =>
        new(ArrayMemory<long>.Buffer(values), nulls == 0 || valid is null ? ArrowBuffer.Empty : new ArrowBuffer(valid), values.Length, nulls, 0);

    private static TimestampArray Timestamps(long[] values) => new(Timestamp, ArrayMemory<long>.Buffer(values), ArrowBuffer.Empty, values.Length, 0, 0);
}
