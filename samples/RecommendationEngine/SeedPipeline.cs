using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Mlops.Features;
using Mlops.Pipelines;

namespace RecommendationEngine;

/// <summary>
/// The seed's Airflow DAG, <c>data_preprocessing &gt;&gt; model_training &gt;&gt; model_evaluation &gt;&gt; model_deployment</c>,
/// with its default args (owner, retries 1, retry delay 5 minutes) and a daily schedule from 2023-01-01 without
/// catch-up, run once on a durable SQLite store. Preprocessing runs the feature job. Training, evaluation and
/// deployment have not landed yet: those tasks check their inputs and end as <c>skipped</c> with the reason, never
/// as a fake success.
/// </summary>
public static class SeedPipeline
{
    /// <summary>The DAG's id, as in the seed.</summary>
    public const string DagId = "ml_pipeline";

    /// <summary>The seed's schedule start.</summary>
    public static readonly DateTimeOffset StartDate = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Builds the seed's DAG over a data folder (clicks/, user_profiles.jsonl, product_catalog.csv) and a features output folder.</summary>
    public static Dag Build(string dataDirectory, string featuresDirectory)
    {
        var dag = Dag.Create(
            DagId,
            schedule: TimeSpan.FromDays(1),
            startDate: StartDate,
            defaults: new TaskArguments { Owner = "ml-team", Retries = 1, RetryDelay = TimeSpan.FromMinutes(5) },
            catchup: false,
            description: "Recommendation engine: features, training, evaluation, deployment");
        dag.MaxActiveRuns = 1;
        var t1 = dag.Task("data_preprocessing", ctx => Preprocess(ctx, dataDirectory, featuresDirectory));
        var t2 = dag.Task("model_training", ctx => Train(ctx, featuresDirectory));

        // Evaluation and deployment run when upstream succeeded or was skipped (not all_success), so each checks its
        // own inputs and says why it cannot proceed; a failure upstream still marks them upstream_failed.
        var t3 = dag.Task("model_evaluation", Evaluate, a => a.TriggerRule = TriggerRule.NoneFailed);
        var t4 = dag.Task("model_deployment", Deploy, a => a.TriggerRule = TriggerRule.NoneFailed);
        _ = t1 >> t2 >> t3 >> t4;
        return dag.Build();
    }

    /// <summary>
    /// <c>RecommendationEngine pipeline [--dir D] [--clicks N] [--db FILE]</c>: generates synthetic data under D if
    /// there is none, runs the DAG once for its latest daily interval (no catch-up) and prints the run.
    /// </summary>
    public static int Run(string[] args)
    {
        var options = ParseOptions(args);
        var root = Path.GetFullPath(options.GetValueOrDefault("dir") ?? Path.Combine("out", "recommendation-engine"));
        var data = Path.Combine(root, "data");
        var features = Path.Combine(root, "processed_features");
        var database = options.GetValueOrDefault("db") ?? Path.Combine(root, "pipelines.db");
        if (!Directory.Exists(Path.Combine(data, "clicks")))
        {
            var clicks = long.Parse(options.GetValueOrDefault("clicks") ?? "200000", NumberStyles.Integer, CultureInfo.InvariantCulture);
            Console.WriteLine($"pipeline: no data under {data}; generating {clicks:N0} synthetic clicks first");
            using var progress = new ConsoleProgress("clicks", clicks);
            new SyntheticData(clicks).Write(data, progress);
        }
        else
        {
            Console.WriteLine($"pipeline: using the existing data under {data} (delete it to generate anew)");
        }

        var dag = Build(data, features);
        using var store = new SqlitePipelineStore(database);
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        using var executor = new PipelineExecutor(store, loggerFactory: loggers);
        var watch = Stopwatch.StartNew();
        executor.TaskStateChanged += (_, e) =>
            Console.WriteLine($"  {watch.Elapsed.TotalSeconds,7:0.00} s  {e.TaskInstance.TaskId,-20} {e.TaskInstance.State.ToAirflowName()}");

        // Run once, as the scheduler would without catch-up: the latest complete daily interval since 2023-01-01.
        var now = TimeProvider.System.GetUtcNow();
        var interval = dag.Schedule!.LatestCompleteInterval(StartDate, now)!.Value;
        var run = executor.TryCreateDagRun(dag, DagRunType.Scheduled, interval.Start, interval)
            ?? executor.CreateDagRun(dag, DagRunType.Manual, now); // That day already ran: trigger a manual run.
        Console.WriteLine($"pipeline: DAG {dag.DagId} ({dag.Schedule.Description} from {StartDate:yyyy-MM-dd}, no catch-up), run {run.RunId}, state in {database}");
        var ended = executor.Execute(dag, run.RunId);
        Console.WriteLine();
        Console.Write(DagRunView.Render(dag, store, ended.RunId));
        return ended.State == DagRunState.Success ? 0 : 1;
    }

    private static long Preprocess(TaskContext ctx, string dataDirectory, string featuresDirectory)
    {
        ctx.Logger.LogInformation("Feature job: {Data} -> {Features} for {Interval}", dataDirectory, featuresDirectory, ctx.DataInterval);
        var result = FeatureJob.Plan(dataDirectory).WriteParquet(featuresDirectory, new ParquetWriteOptions { Mode = SaveMode.Overwrite }, ctx.CancellationToken);
        ctx.Logger.LogInformation("Wrote {Rows} rows in {Files} files ({Bytes} bytes)", result.Rows, result.Files.Count, result.Bytes);
        ctx.Push("features_path", featuresDirectory);
        return result.Rows;
    }

    private static void Train(TaskContext ctx, string featuresDirectory)
    {
        if (!File.Exists(Path.Combine(featuresDirectory, "_SUCCESS")))
        {
            ctx.Fail($"No processed features at {featuresDirectory} (no _SUCCESS marker); data_preprocessing must write them first.");
        }

        var frame = Frame.ReadParquet(featuresDirectory);
        var rows = frame.EstimatedRowCount ?? frame.Count();
        if (rows != ctx.Pull<long>("data_preprocessing"))
        {
            ctx.Fail($"{featuresDirectory} holds {rows:N0} rows but data_preprocessing wrote {ctx.Pull<long>("data_preprocessing"):N0}.");
        }

        ctx.Logger.LogInformation("{Rows} processed feature rows are ready for training", rows);
        ctx.Skip($"not yet available: the TorchSharp trainer (distributed training, part 2) has not landed; {rows:N0} feature rows are ready in {featuresDirectory}");
    }

    private static void Evaluate(TaskContext ctx)
    {
        if (!ctx.TryPull<string>("model_training", out var model, "model_path"))
        {
            ctx.Skip("not yet available: no trained model to evaluate (model_training produced none to look up in Mlops.Tracking)");
        }

        ctx.Fail($"Evaluation of {model} is not implemented yet.");
    }

    private static void Deploy(TaskContext ctx)
    {
        if (!ctx.TryPull<double>("model_evaluation", out var accuracy, "accuracy"))
        {
            ctx.Skip("not yet available: no evaluated model to deploy (model serving, Mlops.Serving, has not landed)");
        }

        ctx.Fail($"Deployment of a model with accuracy {accuracy} is not implemented yet.");
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}': options are written --name value.");
            }

            options[args[i][2..]] = args[++i];
        }

        return options;
    }
}
