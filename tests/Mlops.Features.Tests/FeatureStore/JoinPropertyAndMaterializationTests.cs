using Mlops.Features.FeatureStore;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Registry;
using static Mlops.Features.Tests.FeatureStore.FeatureStoreFixture;

namespace Mlops.Features.Tests.FeatureStore;

public sealed class JoinPropertyAndMaterializationTests
{
    [Theory]
    [InlineData(256L * 1024 * 1024, false)]
    [InlineData(2048L, true)]
    public async Task As_of_join_equals_a_brute_force_reference_on_random_frames(long budget, bool expectSpill)
    {
        var random = new Random(20260101);
        for (var iteration = 0; iteration < 12; iteration++)
        {
            using var fs = new FeatureStoreFixture(budget);
            var users = random.Next(1, 8);
            var features = Enumerable.Range(0, random.Next(0, 120)).Select(i => new object?[]
            {
                random.Next(10) == 0 ? null : (long)random.Next(users),
                H(random.Next(48)),
                random.Next(6) == 0 ? null : H(random.Next(4)),
                (long)i,
                random.NextDouble(),
            }).ToList();
            var ttl = random.Next(3) == 0 ? TimeSpan.Zero : TimeSpan.FromHours(random.Next(1, 20));
            await fs.Client.ApplyAsync([User, fs.UserStats(fs.WriteSource("s", UserStatsSchema, features.Count == 0 ? [[0L, H(-1000), null, -1L, 0.0]] : features), ttl)]);
            var entityRows = Enumerable.Range(0, random.Next(1, 150)).Select(_ => ((long)random.Next(users + 1), H(random.Next(-2, 50)))).ToArray();

            var rows = fs.Client.GetHistoricalFeatures(Entities(entityRows), ["user_stats:clicks"]).Collect();

            Assert.Equal(entityRows.Length, rows.Count);
            for (var r = 0; r < entityRows.Length; r++)
            {
                var (user, at) = entityRows[r];
                var expected = features
                    .Select((f, position) => (f, position))
                    .Where(x => x.f[0] is long u && u == user && (DateTime)x.f[1]! <= at && (ttl == TimeSpan.Zero || (DateTime)x.f[1]! >= at - ttl))
                    .OrderBy(x => (DateTime)x.f[1]!).ThenBy(x => x.f[2] is DateTime c ? c.Ticks : long.MinValue).ThenBy(x => x.position)
                    .Select(x => x.f[3]).LastOrDefault();
                Assert.Equal(expected, rows[r]["clicks"]);
                Assert.Equal(user, rows[r]["user_id"]);
            }

            if (expectSpill && features.Count > 60)
            {
                Assert.Contains(fs.Stats, s => s.SpillFiles > 0);
            }
            else if (!expectSpill)
            {
                Assert.All(fs.Stats, s => Assert.Equal(0, s.SpillFiles));
            }
        }
    }

    [Fact]
    public async Task Materialization_writes_the_latest_row_per_entity_in_bounded_memory()
    {
        const int Users = 400;
        const int RowsPerUser = 25;
        using var fs = new FeatureStoreFixture(budget: 64 * 1024);
        var rows = Enumerable.Range(0, Users * RowsPerUser).Select(i => new object?[] { (long)(i % Users), H(i / Users), H(0), (long)i, (double)i }).ToList();
        await fs.Client.ApplyAsync([User, fs.UserStats(fs.WriteSource("big", UserStatsSchema, rows), TimeSpan.Zero)]);
        var progress = new List<MaterializationProgress>();

        var result = await fs.Client.MaterializeAsync(new DateTimeOffset(H(0)), new DateTimeOffset(H(20)), progress: new SyncProgress(progress));

        var stats = Assert.Single(fs.Stats);
        Assert.True(stats.SpillFiles > 0);
        Assert.True(stats.PeakBufferedRows < rows.Count / 3, $"peak {stats.PeakBufferedRows} of {rows.Count}");
        Assert.True(stats.PeakPartitionRows < rows.Count / 3, $"partition {stats.PeakPartitionRows} of {rows.Count}");
        Assert.Equal(Users * 20, Assert.Single(result).RowsRead);
        Assert.Equal(Users, fs.Online.Count("user_stats"));
        Assert.True(progress.Last().Completed);
        var online = await fs.Client.GetOnlineFeaturesAsync(new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [7L] }, ["user_stats:clicks"]);
        Assert.Equal((long)((19 * Users) + 7), online["clicks"].Values[0]);

        // Incremental: resumes at the recorded end, and a newer value online is kept.
        var next = await fs.Client.MaterializeIncrementalAsync(new DateTimeOffset(H(30)));
        Assert.Equal(new DateTimeOffset(H(20)), Assert.Single(next).Start);
        online = await fs.Client.GetOnlineFeaturesAsync(new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [7L] }, ["user_stats:clicks"]);
        Assert.Equal((long)((24 * Users) + 7), online["clicks"].Values[0]);
        await fs.Client.MaterializeAsync(new DateTimeOffset(H(0)), new DateTimeOffset(H(5)));
        online = await fs.Client.GetOnlineFeaturesAsync(new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [7L] }, ["user_stats:clicks"]);
        Assert.Equal((long)((24 * Users) + 7), online["clicks"].Values[0]);
    }

    [Fact]
    public async Task Online_statuses_enforce_the_ttl_on_read_with_one_read_per_view()
    {
        using var fs = new FeatureStoreFixture();
        var path = fs.WriteSource("s", UserStatsSchema, [[1L, H(0), H(0), 10L, null], [2L, H(5), H(5), 20L, 2.0]]);
        await fs.Client.ApplyAsync([User, fs.UserStats(path, TimeSpan.FromHours(3))]);
        await fs.Client.MaterializeAsync(new DateTimeOffset(H(-1)), new DateTimeOffset(H(6)));
        fs.Time.SetUtcNow(new DateTimeOffset(H(2)));
        var early = await fs.Client.GetOnlineFeaturesAsync(new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [1L] }, ["user_stats:score"]);
        Assert.Equal(FeatureStatus.NullValue, early["score"].Statuses[0]);
        Assert.Equal(new DateTimeOffset(H(0)), early["score"].EventTimestamps[0]);
        fs.Time.SetUtcNow(new DateTimeOffset(H(6)));
        var reads = fs.Online.Reads;

        var response = await fs.Client.GetOnlineFeaturesAsync(new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [1L, 2L, 3L] }, ["user_stats:clicks", "user_stats:score"]);

        Assert.Equal(reads + 1, fs.Online.Reads);
        Assert.Equal(["user_id", "clicks", "score"], response.FeatureNames);
        Assert.Equal([FeatureStatus.OutsideMaxAge, FeatureStatus.Present, FeatureStatus.NotFound], response["clicks"].Statuses);
        Assert.Equal([10L, 20L, null], response["clicks"].Values);
        Assert.Equal(FeatureStatus.Present, response["score"].Statuses[1]);
    }

    [Fact]
    public async Task Consistency_check_finds_no_mismatch_after_materializing_up_to_t_and_reports_a_stale_value()
    {
        using var fs = new FeatureStoreFixture();
        var path = fs.WriteSource("s", UserStatsSchema, [[1L, H(0), H(0), 10L, 1.0], [1L, H(4), H(4), 14L, 4.0], [2L, H(1), H(1), 21L, 2.0]]);
        await fs.Client.ApplyAsync([User, fs.UserStats(path, TimeSpan.FromHours(10))]);
        var entities = new Dictionary<string, IReadOnlyList<object?>> { ["user_id"] = [1L, 2L, 3L] };
        await fs.Client.MaterializeAsync(new DateTimeOffset(H(-1)), new DateTimeOffset(H(2)));

        Assert.Empty(await fs.Client.VerifyOnlineConsistencyAsync(entities, ["user_stats:clicks", "user_stats:score"], new DateTimeOffset(H(2))));
        var stale = await fs.Client.VerifyOnlineConsistencyAsync(entities, ["user_stats:clicks"], new DateTimeOffset(H(5)));
        var mismatch = Assert.Single(stale);
        Assert.Equal((0, "user_stats:clicks", (object?)10L, (object?)14L), (mismatch.EntityRow, mismatch.Feature, mismatch.Online, mismatch.Historical));
    }

    [Fact]
    public async Task Registry_plans_and_applies_additively_unless_asked_to_delete()
    {
        using var fs = new FeatureStoreFixture();
        var view = fs.UserStats(fs.WriteSource("s", UserStatsSchema, [[1L, H(0), H(0), 10L, 1.0]]), TimeSpan.Zero);
        var plan = fs.Client.Plan([User, view]);
        Assert.Equal(2, plan.Of(RegistryChangeType.Create).Count());
        await fs.Client.ApplyAsync([User, view]);
        Assert.False(fs.Client.Plan([User, view]).HasChanges);
        Assert.Equal(RegistryChangeType.Update, fs.Client.Plan([view with { Ttl = TimeSpan.FromDays(1) }]).Changes.Single(c => c.Name == "user_stats").Change);

        var other = view with { Name = "other" };
        await fs.Client.ApplyAsync([other]);
        Assert.Equal(["other", "user_stats"], fs.Registry.GetSnapshot(false).FeatureViews.Keys.Order());
        await fs.Client.MaterializeAsync(new DateTimeOffset(H(-1)), new DateTimeOffset(H(1)), ["user_stats"]);
        Assert.Equal(1, fs.Online.Count("user_stats"));

        var deleting = await fs.Client.ApplyAsync([User, other], deleteMissing: true);
        Assert.Equal("user_stats", Assert.Single(deleting.Of(RegistryChangeType.Delete)).Name);
        Assert.Equal(0, fs.Online.Count("user_stats"));
        Assert.Throws<FeatureDefinitionException>(() => fs.Client.Plan([other], deleteMissing: true));

        // Another reader of the same file sees the applied state; a bad definition names object and field.
        using var reader = new SqliteFeatureRegistry(Path.Combine(fs.Folder, "registry.db"), "test");
        Assert.Equal(other, reader.GetSnapshot().FeatureViews["other"]);
        var bad = Assert.Throws<FeatureDefinitionException>(() => fs.Client.Plan([view with { Entities = ["nobody"] }]));
        Assert.Contains("feature view 'user_stats': Entities names 'nobody'", bad.Message, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(List<MaterializationProgress> sink) : IProgress<MaterializationProgress>
    {
        public void Report(MaterializationProgress value) => sink.Add(value);
    }
}

public sealed class RegistryRefreshTests
{
    [Fact]
    public async Task A_reader_sees_another_writers_apply_once_its_refresh_interval_has_passed()
    {
        using var fs = new FeatureStoreFixture();
        using var reader = new SqliteFeatureRegistry(Path.Combine(fs.Folder, "registry.db"), "test", TimeSpan.FromMinutes(1), fs.Time);
        Assert.Empty(reader.GetSnapshot().Entities);

        await fs.Client.ApplyAsync([User]);

        Assert.Empty(reader.GetSnapshot().Entities);
        fs.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(reader.GetSnapshot().Entities);
        fs.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(User, reader.GetSnapshot().Entities["user"]);
        using var otherProject = new SqliteFeatureRegistry(Path.Combine(fs.Folder, "registry.db"), "other");
        Assert.Empty(otherProject.GetSnapshot().Entities);
    }
}
