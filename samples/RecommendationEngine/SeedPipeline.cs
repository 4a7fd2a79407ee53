using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mlops.Features;
using Mlops.Pipelines;
using Mlops.Tracking;
using RecommendationEngine.Training;

namespace RecommendationEngine;

/// <summary>
/// The seed's Airflow DAG, <c>data_preprocessing &gt;&gt; model_training &gt;&gt; model_evaluation &gt;&gt; model_deployment</c>,
/// with its default args (owner, retries 1, retry delay 5 minutes) and a daily schedule from 2023-01-01 without
/// catch-up, run once on a durable SQLite store. Preprocessing runs the feature job; training runs the seed's
/// MultiWorkerMirroredStrategy job with two local workers and logs it to tracking; evaluation scores the saved model on
/// the held-out rows, logs the score to the training run and looks up the best run of the experiment; deployment
/// registers the model as a new version of <c>recsys</c> and moves the alias <c>champion</c> to it only when it beats
/// the current champion, which a running <c>serve</c> follows.
/// </summary>
public static class SeedPipeline
{
    /// <summary>The DAG's id, as in the seed.</summary>
    public const string DagId = "ml_pipeline";

    /// <summary>The seed's schedule start.</summary>
    public static readonly DateTimeOffset StartDate = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Builds the seed's DAG over a data folder (clicks/, user_profiles.jsonl, product_catalog.csv) and a features
    /// output folder; its tasks read through the host's frame session and track through the host's tracking client.
    /// </summary>
    public static Dag Build(IServiceProvider services, string dataDirectory, string featuresDirectory, TrainSettings? training = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var session = services.GetRequiredService<FrameSession>();
        training ??= TrainSettings.From(new Dictionary<string, string> { ["features"] = featuresDirectory }, Path.GetDirectoryName(Path.GetFullPath(featuresDirectory))!);
        var dag = Dag.Create(
            DagId,
            schedule: TimeSpan.FromDays(1),
            startDate: StartDate,
            defaults: new TaskArguments { Owner = "ml-team", Retries = 1, RetryDelay = TimeSpan.FromMinutes(5) },
            catchup: false,
            description: "Recommendation engine: features, training, evaluation, deployment");
        dag.MaxActiveRuns = 1;
        var t1 = dag.Task("data_preprocessing", ctx => Preprocess(ctx, session, dataDirectory, featuresDirectory));
        var t2 = dag.Task("model_training", ctx => Train(ctx, session, training));

        // Evaluation and deployment run when upstream succeeded or was skipped (not all_success), so each checks its
        // own inputs and says why it cannot proceed; a failure upstream still marks them upstream_failed.
        var t3 = dag.Task("model_evaluation", ctx => Evaluate(ctx, session, services.GetRequiredService<TrackingClient>(), training), a => a.TriggerRule = TriggerRule.NoneFailed);
        var t4 = dag.Task("model_deployment", ctx => Deploy(ctx, services.GetRequiredService<TrackingClient>()), a => a.TriggerRule = TriggerRule.NoneFailed);
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

        var training = TrainSettings.From(
            new Dictionary<string, string>(options.Where(o => o.Key is "workers" or "epochs" or "batch-size" or "steps-per-epoch"))
            {
                ["features"] = features,
                ["model-out"] = Path.Combine(root, "model"),
                ["tracking-uri"] = "sqlite:///" + Path.Combine(root, "mlruns.db"),
                ["max-restarts"] = "0", // the DAG's own retry re-runs the task
            },
            root);

        // The host composes the packages; its configuration is these values on Mlops:* keys. The DAG is registered with
        // the pipelines package and built from the host's services; the executor and its SQLite store come from the container.
        using var host = SampleHost.Start(
            new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                [SampleHost.TrackingUriKey] = training.TrackingUri,
                [SampleHost.PipelinesStoreKey] = database,
            },
            pipelines => pipelines.AddDag(services => Build(services, data, features, training)));
        var dag = host.Services.GetRequiredService<DagRegistry>().Get(DagId);
        var store = host.Services.GetRequiredService<IPipelineStore>();
        var executor = host.Services.GetRequiredService<PipelineExecutor>();
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

    private static long Preprocess(TaskContext ctx, FrameSession session, string dataDirectory, string featuresDirectory)
    {
        ctx.Logger.LogInformation("Feature job: {Data} -> {Features} for {Interval}", dataDirectory, featuresDirectory, ctx.DataInterval);
        var result = FeatureJob.Plan(session, dataDirectory).WriteParquet(featuresDirectory, new ParquetWriteOptions { Mode = SaveMode.Overwrite }, ctx.CancellationToken);
        ctx.Logger.LogInformation("Wrote {Rows} rows in {Files} files ({Bytes} bytes)", result.Rows, result.Files.Count, result.Bytes);
        ctx.Push("features_path", featuresDirectory);
        return result.Rows;
    }

    private static string Train(TaskContext ctx, FrameSession session, TrainSettings training)
    {
        var featuresDirectory = training.Features;
        if (!File.Exists(Path.Combine(featuresDirectory, "_SUCCESS")))
        {
            ctx.Fail($"No processed features at {featuresDirectory} (no _SUCCESS marker); data_preprocessing must write them first.");
        }

        var frame = session.ReadParquet(featuresDirectory);
        var rows = frame.EstimatedRowCount ?? frame.Count();
        if (rows != ctx.Pull<long>("data_preprocessing"))
        {
            ctx.Fail($"{featuresDirectory} holds {rows:N0} rows but data_preprocessing wrote {ctx.Pull<long>("data_preprocessing"):N0}.");
        }

        ctx.Logger.LogInformation("Training on {Rows} feature rows with {Workers} workers", rows, training.Workers);
        var exitCode = TrainCommand.Run(session, training, Console.Out);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"The training job failed with exit code {exitCode} (see the workers' output above).");
        }

        var summary = TrainingSummary.Read(Path.Combine(training.ModelOut, TrainCommand.SummaryFile));
        ctx.Push("run_id", summary.RunId);
        ctx.Push("model_path", training.ModelOut);
        return summary.RunId;
    }

    private static void Evaluate(TaskContext ctx, FrameSession session, TrackingClient tracking, TrainSettings training)
    {
        if (!ctx.TryPull<string>("model_training", out var modelPath, "model_path"))
        {
            ctx.Skip("no trained model to evaluate: model_training produced none");
        }

        var runId = ctx.Pull<string>("model_training", "run_id")!;

        var evaluation = ModelEvaluation.Run(session, tracking, training, modelPath, runId);
        ctx.Logger.LogInformation(
            "Model of run {RunId}: accuracy {Accuracy:0.0000} on {Rows} held-out rows (majority class alone: {Majority:0.0000}); best run of the experiment: {BestRun} ({BestAccuracy:0.0000})",
            runId,
            evaluation.Accuracy,
            evaluation.Rows,
            evaluation.MajorityAccuracy,
            evaluation.BestRunId,
            evaluation.BestAccuracy);
        ctx.Push("accuracy", evaluation.Accuracy);
        ctx.Push("best_run_id", evaluation.BestRunId);
        ctx.Push("best_model_uri", $"runs:/{evaluation.BestRunId}/model");
    }

    /// <summary>
    /// Registers the trained model as a new version of <see cref="ServeCommand.RegisteredModel"/> and moves the
    /// <see cref="ServeCommand.Alias"/> alias to it only when its evaluated accuracy beats the current champion's; a
    /// running server that serves <c>models:/recsys@champion</c> follows the alias.
    /// </summary>
    private static void Deploy(TaskContext ctx, TrackingClient tracking)
    {
        if (!ctx.TryPull<double>("model_evaluation", out var accuracy, "accuracy"))
        {
            ctx.Skip("no evaluated model to deploy: model_evaluation produced none");
        }

        var runId = ctx.Pull<string>("model_training", "run_id")!;
        var decision = ModelDeployment.Deploy(tracking, runId, accuracy);
        ctx.Logger.LogInformation("{Decision}", decision.Summary);
        Console.WriteLine($"  model_deployment: {decision.Summary}");
        ctx.Push("model_version", decision.Version);
        ctx.Push("champion_version", decision.ChampionVersion);
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
