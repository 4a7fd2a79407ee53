using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.Extensions.Time.Testing;
using Mlops.Features.FeatureStore;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Registry;
using Mlops.Features.FeatureStore.Retrieval;

namespace Mlops.Features.Tests.FeatureStore;

/// <summary>A temp folder with a SQLite registry, a dictionary online store and a client; sources are Parquet files written here.</summary>
internal sealed class FeatureStoreFixture : IDisposable
{
    public static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public FeatureStoreFixture(long budget = 256L * 1024 * 1024)
    {
        Folder = Path.Combine(Path.GetTempPath(), "fs-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Time = new FakeTimeProvider(new DateTimeOffset(T0));
        Registry = new SqliteFeatureRegistry(Path.Combine(Folder, "registry.db"), "test", TimeSpan.Zero, Time);
        Online = new DictionaryOnlineStore();
        Client = new FeatureStoreClient(Registry, Online, new FeatureStoreOptions { Project = "test", MemoryBudgetBytes = budget, SpillDirectory = Path.Combine(Folder, "spill"), OnlineWriteBatchSize = 7 }, timeProvider: Time);
        Client.SpillObserver = s => Stats.Add(s);
    }

    public string Folder { get; }

    public FakeTimeProvider Time { get; }

    public SqliteFeatureRegistry Registry { get; }

    public DictionaryOnlineStore Online { get; }

    public FeatureStoreClient Client { get; }

    public List<SpillStatistics> Stats { get; } = [];

    public static Entity User { get; } = new("user", ["user_id"], FeatureValueType.Int64);

    public static Schema UserStatsSchema { get; } = new(
        [
            new Field("user_id", Int64Type.Default, true),
            new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), true),
            new Field("created", new TimestampType(TimeUnit.Microsecond, "UTC"), true),
            new Field("clicks", Int64Type.Default, true),
            new Field("score", DoubleType.Default, true),
        ],
        null);

    public static Schema EntitySchema { get; } = new(
        [new Field("user_id", Int64Type.Default, true), new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), false)],
        null);

    public string WriteSource(string name, Schema schema, IEnumerable<object?[]> rows)
    {
        var path = Path.Combine(Folder, name);
        Frame.FromRows(schema, rows.Select(r => (IReadOnlyList<object?>)r).ToList(), batchSize: 1000).WriteParquet(path);
        return path;
    }

    public FeatureView UserStats(string path, TimeSpan ttl, string name = "user_stats") =>
        new(name, new FileSource(name + "_source", path) { CreatedTimestampField = "created" }, ["user"], [new FeatureField("clicks", FeatureValueType.Int64), new FeatureField("score", FeatureValueType.Float64)])
        {
            Ttl = ttl,
        };

    public static Frame Entities(params (long User, DateTime At)[] rows) =>
        Frame.FromRows(EntitySchema, rows.Select(r => (IReadOnlyList<object?>)[r.User, r.At]).ToList());

    public static DateTime H(double hours) => T0.AddHours(hours);

    public void Dispose()
    {
        Registry.Dispose();
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}
