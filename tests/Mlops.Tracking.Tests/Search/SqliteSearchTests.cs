using Mlops.Tracking.Search;
using Mlops.Tracking.Stores;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Search;

public sealed class SqliteSearchTests : SearchContractTests
{
    public SqliteSearchTests()
        : base(folder => new SqliteTrackingStore(folder.Combine("s.db")))
    {
    }
}

public sealed class InMemorySearchTests : SearchContractTests
{
    public InMemorySearchTests()
        : base(_ => new Mlops.Testing.Tracking.InMemoryTrackingStore())
    {
    }
}

/// <summary>The search semantics every store must have; run against each store.</summary>
public abstract class SearchContractTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ITrackingStore _store;
    private readonly string _experiment;

    protected SearchContractTests(Func<TempFolder, ITrackingStore> createStore)
    {
        _store = createStore(_folder);
        _experiment = _store.CreateExperimentAsync("search").GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        (_store as IDisposable)?.Dispose();
        _folder.Dispose();
    }

    private async Task<string> Run(string name, long start, RunMetric[]? metrics = null, Param[]? parameters = null, RunTag[]? tags = null)
    {
        var id = (await _store.CreateRunAsync(_experiment, "user-" + name, start, name, null)).Info.RunId;
        await _store.LogBatchAsync(id, metrics, parameters, tags);
        return id;
    }

    private async Task<List<string>> Names(string? filter, params string[] orderBy) =>
        (await _store.SearchRunsAsync([_experiment], filter, orderBy: orderBy)).Items.Select(r => r.Info.RunName).ToList();

    [Fact]
    public async Task Metric_filters_use_the_latest_value()
    {
        // a: 0.9 at step 1, then 0.1 at step 2 → latest 0.1. b: 0.1 then 0.9 → latest 0.9.
        await Run("a", 1, [new RunMetric("acc", 0.9, 10, 1), new RunMetric("acc", 0.1, 5, 2)]);
        await Run("b", 2, [new RunMetric("acc", 0.1, 10, 1), new RunMetric("acc", 0.9, 5, 2)]);
        Assert.Equal(["b"], await Names("metrics.acc > 0.5"));
        Assert.Equal(["a"], await Names("metrics.acc < 0.5"));
        Assert.Equal(["a"], await Names("metrics.acc = 0.1"));
        Assert.Equal(["b"], await Names("metrics.acc >= 0.9"));
        Assert.Equal(["a"], await Names("metrics.acc <= 0.1"));
    }

    [Fact]
    public async Task Not_equal_and_missing_keys_exclude_runs_without_the_key()
    {
        await Run("has1", 3, [new RunMetric("m", 1, 1, 0)], [new Param("p", "x")], [new RunTag("t", "x")]);
        await Run("has2", 2, [new RunMetric("m", 2, 1, 0)], [new Param("p", "y")], [new RunTag("t", "y")]);
        await Run("none", 1);
        Assert.Equal(["has2"], await Names("metrics.m != 1"));
        Assert.Equal(["has2"], await Names("params.p != 'x'"));
        Assert.Equal(["has2"], await Names("tags.t != 'x'"));
        Assert.Equal(["none"], await Names("params.p IS NULL"));
        Assert.Equal(["has1", "has2"], await Names("tags.t IS NOT NULL"));
        Assert.Equal(["none"], await Names("tags.t IS NULL AND params.p IS NULL"));
    }

    [Fact]
    public async Task Like_is_case_sensitive_and_ilike_is_not()
    {
        await Run("r1", 3, parameters: [new Param("opt", "Adam")]);
        await Run("r2", 2, parameters: [new Param("opt", "adamw")]);
        await Run("r3", 1, parameters: [new Param("opt", "sgd_*[x]")]);
        Assert.Equal(["r2"], await Names("params.opt LIKE 'adam%'"));
        Assert.Equal(["r1", "r2"], await Names("params.opt ILIKE 'adam%'"));
        Assert.Equal(["r1"], await Names("params.opt LIKE 'A_am'"));
        Assert.Equal(["r3"], await Names("params.opt LIKE 'sgd_*[x]'"));
        Assert.Empty(await Names("params.opt LIKE 'sgd?%'"));
        Assert.Equal(["r1"], await Names("attributes.run_name LIKE '%1'"));
        Assert.Equal(["r1", "r2", "r3"], await Names("attributes.user_id ILIKE 'USER-%'"));
    }

    [Fact]
    public async Task Attributes_filter_by_status_times_name_and_run_id()
    {
        var a = await Run("a", 100);
        var b = await Run("b", 200);
        var c = await Run("c", 300);
        await _store.UpdateRunInfoAsync(a, RunStatus.Finished, 150, null);
        await _store.UpdateRunInfoAsync(b, RunStatus.Failed, 250, null);
        Assert.Equal(["a"], await Names("attributes.status = 'FINISHED'"));
        Assert.Equal(["c", "b"], await Names("attributes.status != 'FINISHED'"));
        Assert.Equal(["c", "b"], await Names("attributes.start_time > 100"));
        Assert.Equal(["c"], await Names("attributes.created >= 300"));
        Assert.Equal(["a"], await Names("attributes.end_time < 200"));
        Assert.Equal(["c", "a"], await Names($"attributes.run_id IN ('{a}', '{c}')"));
        Assert.Equal(["b"], await Names($"attributes.run_id NOT IN ('{a}', '{c}')"));
        Assert.Equal(["b"], await Names($"attributes.run_id = '{b}'"));
        Assert.Equal(["b"], await Names("attributes.run_name = 'b'"));
        Assert.Equal(["b"], await Names("tags.mlflow.runName = 'b'"));
        Assert.Equal(3, (await Names($"attributes.artifact_uri LIKE '%/artifacts'")).Count);
    }

    [Fact]
    public async Task Order_by_puts_nan_then_missing_last_in_both_directions_and_breaks_ties()
    {
        await Run("low", 1, [new RunMetric("m", 1, 1, 0)]);
        await Run("high", 2, [new RunMetric("m", 5, 1, 0)]);
        await Run("nan", 3, [new RunMetric("m", double.NaN, 1, 0)]);
        await Run("missing", 4);
        await Run("tieOld", 5, [new RunMetric("m", 3, 1, 0)]);
        await Run("tieNew", 6, [new RunMetric("m", 3, 1, 0)]);
        Assert.Equal(["low", "tieNew", "tieOld", "high", "nan", "missing"], await Names(null, "metrics.m ASC"));
        Assert.Equal(["high", "tieNew", "tieOld", "low", "nan", "missing"], await Names(null, "metrics.m DESC"));
        Assert.Equal(["tieNew", "tieOld", "missing", "nan", "high", "low"], await Names(null));
        Assert.Equal(["low", "high", "nan", "missing", "tieOld", "tieNew"], await Names(null, "attributes.start_time"));
        Assert.Equal(["high", "nan", "missing"], await Names("attributes.start_time >= 2 AND attributes.start_time <= 4", "metrics.m DESC"));
        Assert.Equal(["nan"], await Names("metrics.m != 3 AND metrics.m != 1 AND metrics.m != 5"));
    }

    [Fact]
    public async Task Order_by_several_keys_params_and_tags()
    {
        await Run("a", 1, parameters: [new Param("opt", "sgd")], tags: [new RunTag("t", "2")], metrics: [new RunMetric("m", 1, 1, 0)]);
        await Run("b", 2, parameters: [new Param("opt", "adam")], tags: [new RunTag("t", "1")], metrics: [new RunMetric("m", 1, 1, 0)]);
        await Run("c", 3, parameters: [new Param("opt", "adam")], tags: [new RunTag("t", "3")], metrics: [new RunMetric("m", 2, 1, 0)]);
        await Run("d", 4);
        Assert.Equal(["b", "c", "a", "d"], await Names(null, "params.opt", "tags.t"));
        Assert.Equal(["c", "b", "a", "d"], await Names(null, "params.opt ASC", "tags.t DESC"));
        Assert.Equal(["a", "b", "c", "d"], await Names(null, "metrics.m", "params.opt DESC"));
        Assert.Equal(["d", "c", "b", "a"], await Names(null, "attributes.run_name DESC"));
    }

    [Fact]
    public async Task Pagination_returns_every_run_once_in_order()
    {
        var expected = new List<string>();
        for (var i = 0; i < 23; i++)
        {
            await Run("r" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture), i, [new RunMetric("m", i % 5, 1, 0)]);
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await _store.SearchRunsAsync([_experiment], "metrics.m >= 1", maxResults: 5, orderBy: ["metrics.m DESC"], pageToken: token);
            seen.AddRange(page.Items.Select(r => r.Info.RunName));
            token = page.NextPageToken;
            pages++;
        }
        while (token is not null);

        var all = await Names("metrics.m >= 1", "metrics.m DESC");
        Assert.Equal(all, seen);
        Assert.Equal(18, seen.Count);
        Assert.Equal(4, pages);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        await Assert.ThrowsAsync<MlflowException>(() => _store.SearchRunsAsync([_experiment], maxResults: 0));
        await Assert.ThrowsAsync<MlflowException>(() => _store.SearchRunsAsync([_experiment], maxResults: 50001));
    }

    [Fact]
    public async Task View_type_and_experiment_ids_scope_the_search()
    {
        var a = await Run("a", 1);
        await Run("b", 2);
        await _store.DeleteRunAsync(a);
        var other = await _store.CreateExperimentAsync("other");
        await _store.CreateRunAsync(other, "u", 3, "c", null);
        Assert.Equal(["b"], await Names(null));
        Assert.Equal(["a"], (await _store.SearchRunsAsync([_experiment], viewType: ViewType.DeletedOnly)).Items.Select(r => r.Info.RunName));
        Assert.Equal(2, (await _store.SearchRunsAsync([_experiment], viewType: ViewType.All)).Count);
        Assert.Equal(2, (await _store.SearchRunsAsync([_experiment, other])).Count);
        Assert.Empty(await _store.SearchRunsAsync([]));
    }

    [Fact]
    public async Task Identical_metric_values_are_stored_once_and_history_is_ordered_by_step()
    {
        var id = await Run("dup", 1, [new RunMetric("m", 1, 10, 0), new RunMetric("m", 1, 10, 0), new RunMetric("m", double.NaN, 10, 0), new RunMetric("m", double.NaN, 10, 0), new RunMetric("m", 2, 5, 1), new RunMetric("m", 1, 11, 0)]);
        var history = await _store.GetMetricHistoryAsync(id, "m");
        Assert.Equal(4, history.Count);
        Assert.Equal([0L, 0, 0, 1], history.Select(m => m.Step));
        Assert.Equal(2, (await _store.GetRunAsync(id)).Data.GetMetric("m"));
    }

    [Fact]
    public async Task Results_carry_full_run_data()
    {
        var id = await Run("full", 1, [new RunMetric("m", 1, 1, 0), new RunMetric("m", 2, 2, 1)], [new Param("p", "v")], [new RunTag("t", "x")]);
        var run = Assert.Single(await _store.SearchRunsAsync([_experiment], "params.p = 'v'"));
        Assert.Equal(id, run.Info.RunId);
        Assert.Equal(2, run.Data.GetMetric("m"));
        Assert.Equal("v", run.Data.Params["p"]);
        Assert.Equal("x", run.Data.Tags["t"]);
    }

    [Fact]
    public async Task Sql_search_agrees_with_the_in_memory_evaluator_on_random_runs()
    {
        var random = new Random(42);
        string[] optimisers = ["adam", "Adam", "sgd", "rmsprop"];
        for (var i = 0; i < 80; i++)
        {
            var metrics = new List<RunMetric>();
            foreach (var key in new[] { "acc", "loss" })
            {
                if (random.NextDouble() < 0.8)
                {
                    for (var step = 0; step < 3; step++)
                    {
                        var value = random.NextDouble() < 0.05 ? double.NaN : Math.Round(random.NextDouble(), 2);
                        metrics.Add(new RunMetric(key, value, random.Next(100), step));
                    }
                }
            }

            var parameters = random.NextDouble() < 0.7 ? new[] { new Param("opt", optimisers[random.Next(optimisers.Length)]) } : [];
            var tags = random.NextDouble() < 0.5 ? new[] { new RunTag("team", random.Next(3).ToString(System.Globalization.CultureInfo.InvariantCulture)) } : [];
            var id = await Run("r" + i, random.Next(50), [.. metrics], parameters, tags);
            if (random.NextDouble() < 0.3)
            {
                await _store.UpdateRunInfoAsync(id, RunStatus.Finished, 100 + i, null);
            }
        }

        string?[] filters =
        [
            null, "metrics.acc > 0.5", "metrics.acc != 0.5", "metrics.loss <= 0.3 AND params.opt = 'adam'", "params.opt ILIKE 'ADAM'",
            "params.opt LIKE 'a%'", "tags.team IS NULL", "tags.team != '1'", "attributes.status = 'FINISHED' AND metrics.acc >= 0.2",
            "attributes.start_time < 25", "params.opt IS NOT NULL AND tags.team = '2'", "attributes.end_time > 120",
        ];
        string[][] orders = [[], ["metrics.acc DESC"], ["metrics.loss ASC", "params.opt DESC"], ["tags.team", "attributes.start_time ASC"], ["attributes.run_name"]];
        var all = (await _store.SearchRunsAsync([_experiment], maxResults: 1000)).Items;
        foreach (var filter in filters)
        {
            var clauses = SearchFilterParser.Parse(filter);
            foreach (var order in orders)
            {
                var expected = RunFilterEvaluator.Sort(all.Where(r => RunFilterEvaluator.Matches(r, clauses)), OrderByParser.Parse(order)).Select(r => r.Info.RunId).ToList();
                var actual = (await _store.SearchRunsAsync([_experiment], filter, orderBy: order)).Items.Select(r => r.Info.RunId).ToList();
                Assert.True(expected.SequenceEqual(actual), $"filter '{filter}' order [{string.Join(", ", order)}]: expected {expected.Count} runs, got {actual.Count} or a different order");
            }
        }
    }
}
