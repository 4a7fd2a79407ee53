using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using Mlops.Features;
using RecommendationEngine;

namespace Mlops.IntegrationTests.SeedStory;

/// <summary>
/// The seed story's feature job end to end on generated data, checked against DuckDB computing the same
/// job in SQL from the same files, and the sample's command line run as a real process.
/// </summary>
public sealed class FeatureJobTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mlops-seed-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void Generated_data_has_the_defects_real_data_has()
    {
        var data = Path.Combine(_root, "data");
        new SyntheticData(50_000, seed: 7).Write(data);

        using var db = Open();
        Assert.True(Scalar(db, $"SELECT count(*) FROM read_parquet('{data}/clicks/*.parquet') c ANTI JOIN read_json('{data}/user_profiles.jsonl') u USING (user_id)") > 0, "some clicks have no profile");
        Assert.True(Scalar(db, $"SELECT count(*) FROM read_json('{data}/user_profiles.jsonl') WHERE user_age IS NULL") > 0, "some profiles have no age");
        Assert.Equal(50_000, Scalar(db, $"SELECT count(*) FROM read_parquet('{data}/clicks/*.parquet')"));
        Assert.True(Scalar(db, $"SELECT count(*) FROM read_csv('{data}/product_catalog.csv', header = true) WHERE category LIKE '%,%'") > 0, "quoted categories with commas");
    }

    [Fact]
    public void The_feature_job_matches_duckdb_running_the_same_job_in_sql()
    {
        var data = Path.Combine(_root, "data");
        var output = Path.Combine(_root, "features");
        new SyntheticData(60_000, seed: 11).Write(data);

        var result = FeatureJob.Plan(data).WriteParquet(output);

        using var db = Open();
        var expected = Rows(db, $"""
            SELECT c.user_id, c.product_id, u.user_age::DOUBLE, p.product_price::DOUBLE, c.click_duration, c.label
            FROM read_parquet('{data}/clicks/*.parquet') c
            JOIN read_json('{data}/user_profiles.jsonl') u ON c.user_id = u.user_id
            JOIN read_csv('{data}/product_catalog.csv', header = true) p ON c.product_id = p.product_id
            WHERE u.user_age IS NOT NULL
            """);
        var actual = Rows(db, $"SELECT user_id, product_id, features[1], features[2], features[3], label FROM read_parquet('{output}/*.parquet')");
        Assert.Equal(expected.Count, result.Rows);
        Assert.True(expected.Count < 60_000, "rows without a profile or an age are dropped");
        Assert.Equal(expected, actual);
        Assert.True(File.Exists(Path.Combine(output, "_SUCCESS")));
        var slots = VectorMetadata.GetSlotNames(Frame.ReadParquet(output).Schema.GetFieldByName("features"));
        Assert.Equal(FeatureJob.FeatureColumns, slots);
    }

    [Fact]
    public void The_sample_runs_generate_and_prepare_from_the_command_line()
    {
        var assembly = typeof(FeatureJob).Assembly.Location;
        var data = Path.Combine(_root, "cli-data");
        var output = Path.Combine(_root, "cli-out");

        var generate = Run(assembly, "generate", "--out", data, "--clicks", "30000");
        var prepare = Run(assembly, "prepare", "--data", data, "--out", output);
        var bad = Run(assembly, "prepare", "--data", Path.Combine(_root, "missing"), "--out", output);

        Assert.Equal(0, generate.ExitCode);
        Assert.Contains("30,000 clicks", generate.Output);
        Assert.Equal(0, prepare.ExitCode);
        Assert.Contains("rows in: 30,000 clicks; rows out:", prepare.Output);
        Assert.Contains("|user_id|product_id|", prepare.Output);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("missing", bad.Output);

        // The prepare step is tracked as a run in an MLflow-style store beside its output.
        using var tracking = new Mlops.Tracking.TrackingClient("sqlite:///" + Path.Combine(_root, "mlruns.db"));
        var experiment = tracking.GetExperimentByName(PrepareTracking.Experiment)!;
        var runs = tracking.SearchRuns([experiment.ExperimentId], filter: "tags.stage = 'data_preprocessing' AND metrics.clicks_in = 30000");
        var run = Assert.Single(runs);
        var rowsOut = run.Data.GetMetric("rows_out")!.Value;
        Assert.Contains($"rows out: {rowsOut:N0}", prepare.Output, StringComparison.Ordinal);
        Assert.Contains(run.Info.RunId, prepare.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_seed_pipeline_prepares_trains_with_two_workers_evaluates_deploys_and_the_champion_serves()
    {
        var assembly = typeof(FeatureJob).Assembly.Location;
        var root = Path.Combine(_root, "pipeline");

        var first = Run(assembly, "pipeline", "--dir", root, "--clicks", "20000", "--epochs", "2");

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Matches(@"data_preprocessing\s+✔ success", first.Output);
        Assert.Matches(@"model_training\s+✔ success", first.Output);
        Assert.Matches(@"model_evaluation\s+✔ success", first.Output);
        Assert.Matches(@"model_deployment\s+✔ success", first.Output);
        Assert.Contains("registered recsys v1", first.Output, StringComparison.Ordinal);
        Assert.Contains("as the first @champion", first.Output, StringComparison.Ordinal);
        Assert.Contains("[rank 0] Epoch 2/2", first.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "processed_features", "_SUCCESS")));
        Assert.True(File.Exists(Path.Combine(root, "model", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(root, "pipelines.db")));

        // Training was tracked by the chief, and evaluation logged its score to the same run.
        using var tracking = new Mlops.Tracking.TrackingClient("sqlite:///" + Path.Combine(root, "mlruns.db"));
        var experiment = tracking.GetExperimentByName(PrepareTracking.Experiment)!;
        var run = Assert.Single(tracking.SearchRuns([experiment.ExperimentId], filter: "tags.stage = 'model_training'"));
        Assert.Equal("2", run.Data.Params["num_replicas"]);
        Assert.Equal(2, tracking.GetMetricHistory(run.Info.RunId, "val_accuracy").Count);
        var accuracy = run.Data.GetMetric("eval_accuracy")!.Value;
        var majority = run.Data.GetMetric("eval_majority_accuracy")!.Value;
        Assert.True(accuracy > majority, $"the model ({accuracy}) must beat always predicting the majority class ({majority}): the synthetic label depends on the features");
        Assert.Contains($"run {run.Info.RunId} in experiment", first.Output, StringComparison.Ordinal);

        // Deployment registered the run's model and pointed @champion at it; serve answers with it over OIP.
        var champion = tracking.Registry.GetModelVersionByAlias("recsys", "champion");
        Assert.Equal((run.Info.RunId, "1"), (champion.RunId, champion.Version));
        var serve = Run(assembly, "serve", "--dir", root, "--once");
        Assert.True(serve.ExitCode == 0, serve.Output);
        Assert.Matches(@"3 rows of \d+ features -> recsys v1: click probability 0\.\d{4}, 0\.\d{4}, 0\.\d{4}", serve.Output);
    }

    [Fact]
    public void The_sample_trains_with_two_workers_on_features_in_several_part_files()
    {
        var assembly = typeof(FeatureJob).Assembly.Location;
        var data = Path.Combine(_root, "train-data");
        var features = Path.Combine(_root, "train-features");
        Assert.Equal(0, Run(assembly, "generate", "--out", data, "--clicks", "20000").ExitCode);
        Assert.Equal(0, Run(assembly, "prepare", "--data", data, "--out", features).ExitCode);

        // As many part files as workers: Auto sharding would shard by file, where each worker's Take/Skip split would
        // see only its own file (the 1M-click default run has two part files). The sample shards by record instead.
        var part = Directory.GetFiles(features, "part-*.parquet").Single();
        File.Copy(part, Path.Combine(features, "part-99999-copy.snappy.parquet"));

        var train = Run(assembly, "train", "--features", features, "--workers", "2", "--epochs", "2", "--model-out", Path.Combine(_root, "train-model"), "--tracking-uri", "sqlite:///" + Path.Combine(_root, "train.db"));

        Assert.True(train.ExitCode == 0, train.Output);
        Assert.Contains("train: 2 worker(s)", train.Output, StringComparison.Ordinal);
        Assert.Matches(@"\[rank 0\] Epoch 2/2 .* val_accuracy: 0\.\d+", train.Output);
        Assert.True(File.Exists(Path.Combine(_root, "train-model", "model.json")));
        Assert.True(File.Exists(Path.Combine(_root, "train-model", "model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(_root, "training-backup")), "the backup is removed after a successful run");
    }

    private static (int ExitCode, string Output) Run(string assembly, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(assembly);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The sample did not finish within 5 minutes: {string.Join(' ', args)}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static DuckDBConnection Open()
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        return connection;
    }

    private static long Scalar(DuckDBConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static List<string> Rows(DuckDBConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(string.Join("|", values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}
