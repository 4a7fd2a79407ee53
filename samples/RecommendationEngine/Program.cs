using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mlops.Features;
using Mlops.Tracking;
using RecommendationEngine;
using RecommendationEngine.Training;

// The seed story, runnable with no server: generate synthetic e-commerce data, run the feature job, train the model.
// Every step runs in a generic host that composes the Mlops packages (SampleHost): the command line's values become
// Mlops:* configuration, and each step resolves its FrameSession, TrackingClient or PipelineExecutor from the container.
//   dotnet run --project samples/RecommendationEngine -c Release                       (generate 1M clicks, prepare, train with 2 workers)
//   dotnet run --project samples/RecommendationEngine -c Release -- generate --out data [--clicks N] [--seed S]
//   dotnet run --project samples/RecommendationEngine -c Release -- prepare --data data --out data/processed_features
return Cli.Run(args);

/// <summary>Command-line entry point of the sample.</summary>
internal static class Cli
{
    public static int Run(string[] args)
    {
        try
        {
            var command = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "all";
            // --once (serve) is a flag; every other option is --name value.
            var once = command == "serve" && args.Contains("--once");
            var options = ParseOptions(args.Skip(command == "all" ? 0 : 1).Where(a => !(once && a == "--once")).ToArray());
            if (once)
            {
                options["once"] = "true";
            }

            switch (command)
            {
                case "generate":
                    Generate(Require(options, "out"), ParseLong(options, "clicks", 1_000_000), (int)ParseLong(options, "seed", 42));
                    return 0;
                case "prepare":
                {
                    var output = Require(options, "out");
                    var trackingUri = options.GetValueOrDefault("tracking-uri") ?? DefaultTrackingUri(Path.GetDirectoryName(Path.GetFullPath(output))!);
                    using var host = SampleHost.Start(HostSettings(trackingUri));
                    Prepare(host.Services, Require(options, "data"), output, trackingUri);
                    return 0;
                }

                case "all":
                {
                    var root = options.GetValueOrDefault("dir") ?? Path.Combine(Environment.CurrentDirectory, "out", "recommendation-engine");
                    var data = Path.Combine(root, "data");
                    Generate(data, ParseLong(options, "clicks", 1_000_000), (int)ParseLong(options, "seed", 42));
                    var trackingUri = options.GetValueOrDefault("tracking-uri") ?? DefaultTrackingUri(root);
                    using var host = SampleHost.Start(HostSettings(trackingUri));
                    Prepare(host.Services, data, Path.Combine(root, "processed_features"), trackingUri);
                    Console.WriteLine();
                    var training = new Dictionary<string, string>(options.Where(o => o.Key is "workers" or "epochs" or "batch-size" or "steps-per-epoch" or "seed"))
                    {
                        ["features"] = Path.Combine(root, "processed_features"),
                        ["model-out"] = Path.Combine(root, "model"),
                        ["tracking-uri"] = trackingUri,
                    };
                    return TrainCommand.Run(host.Services.GetRequiredService<FrameSession>(), TrainSettings.From(training, root), Console.Out);
                }

                case "train":
                {
                    var settings = TrainSettings.From(options, string.Empty);
                    using var host = SampleHost.Start(HostSettings(settings.TrackingUri));
                    return TrainCommand.Run(host.Services.GetRequiredService<FrameSession>(), settings, Console.Out);
                }

                case "train-worker":
                    return TrainCommand.Worker(TrainSettings.From(options, string.Empty));
                case "pipeline":
                    return SeedPipeline.Run(args[1..]);
                case "serve":
                    // The console entry point has no synchronization context, so waiting here cannot deadlock.
                    return ServeCommand.RunAsync(options).GetAwaiter().GetResult();
                case "help" or "--help" or "-h":
                    PrintUsage();
                    return 0;
                default:
                    Console.Error.WriteLine($"Unknown command '{command}'.");
                    PrintUsage();
                    return 2;
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            PrintUsage();
            return 2;
        }
        catch (Mlops.MlopsException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OptionsValidationException e)
        {
            // A bad value mapped onto an Mlops:* key, reported when the host starts.
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static void Generate(string directory, long clicks, int seed)
    {
        var generator = new SyntheticData(clicks, seed);
        Console.WriteLine($"generate: {clicks:N0} clicks, {generator.Users:N0} user ids, {generator.Products:N0} products (seed {seed}) -> {Path.GetFullPath(directory)}");
        var watch = Stopwatch.StartNew();
        GeneratedFiles files;
        using (var progress = new ConsoleProgress("clicks", clicks))
        {
            files = generator.Write(directory, progress);
        }

        Console.WriteLine($"  wrote {files.Clicks}{Path.DirectorySeparatorChar} (Parquet), {files.UserProfiles}, {files.ProductCatalog} in {watch.Elapsed.TotalSeconds:0.00} s");
    }

    private static string DefaultTrackingUri(string directory) => "sqlite:///" + Path.Combine(Path.GetFullPath(directory), "mlruns.db"); // four slashes: an absolute path, as MLflow writes it

    /// <summary>The host configuration of the sample's commands: the command line's values on Mlops:* keys.</summary>
    private static Dictionary<string, string?> HostSettings(string trackingUri) => new(StringComparer.Ordinal)
    {
        [SampleHost.TrackingUriKey] = trackingUri,
    };

    private static void Prepare(IServiceProvider services, string dataDirectory, string outputDirectory, string trackingUri)
    {
        var session = services.GetRequiredService<FrameSession>();
        Console.WriteLine($"prepare: clicks ⋈ user_profiles (user_id) ⋈ product_catalog (product_id) -> VectorAssembler{string.Join(", ", FeatureColumns())} -> {Path.GetFullPath(outputDirectory)}");
        var watch = Stopwatch.StartNew();
        var clicks = session.ReadParquet(Path.Combine(dataDirectory, "clicks"));
        var (users, products) = RecommendationEngine.FeatureJob.ReadDimensions(session, dataDirectory);
        var clicksIn = clicks.EstimatedRowCount ?? clicks.Count();
        Console.WriteLine($"  inputs: {clicksIn:N0} clicks, {users.Count():N0} user profiles, {products.Count():N0} products (planned in {watch.Elapsed.TotalSeconds:0.00} s)");

        watch.Restart();
        ParquetWriteResult result;
        using (var progress = new ConsoleProgress("clicks", clicksIn))
        {
            var counted = clicks.MapBatches(clicks.Schema, b => { progress.Add(b.Length); return b; }, preservesRowCount: true);
            var output = FeatureJob.Plan(counted, users, products);
            result = output.WriteParquet(outputDirectory, new ParquetWriteOptions { Mode = SaveMode.Overwrite });
        }

        Console.WriteLine($"  rows in: {clicksIn:N0} clicks; rows out: {result.Rows:N0} ({clicksIn - result.Rows:N0} dropped: no profile, no age or no product)");
        Console.WriteLine($"  wrote {result.Files.Count} part file(s), {result.Bytes / (1024.0 * 1024):0.0} MiB, to {Path.GetFullPath(outputDirectory)} in {watch.Elapsed.TotalSeconds:0.00} s");
        var runId = PrepareTracking.LogRun(services.GetRequiredService<TrackingClient>(), dataDirectory, outputDirectory, clicksIn, result, watch.Elapsed);
        Console.WriteLine($"  tracked as run {runId} in experiment '{PrepareTracking.Experiment}' at {trackingUri}");
        Console.WriteLine();
        session.ReadParquet(outputDirectory).Show(5);
    }

    private static string FeatureColumns() => "[" + string.Join(", ", RecommendationEngine.FeatureJob.FeatureColumns) + "]";

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

    private static string Require(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"Missing option --{name}.");

    private static long ParseLong(Dictionary<string, string> options, string name, long fallback) =>
        !options.TryGetValue(name, out var text) ? fallback
        : long.TryParse(text.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
        : throw new ArgumentException($"Option --{name} must be a positive whole number; got '{text}'.");

    private static void PrintUsage() => Console.Error.WriteLine(
        """
        usage:
          RecommendationEngine [--clicks N] [--seed S] [--dir D] [--workers N] [--epochs E]
                                    generate data, run the feature job and train with 2 workers (default 1,000,000 clicks into ./out/recommendation-engine)
          RecommendationEngine generate --out DIR [--clicks N] [--seed S]
          RecommendationEngine prepare --data DIR --out DIR [--tracking-uri sqlite:///path/mlruns.db | http://127.0.0.1:5000]
          RecommendationEngine train --features DIR [--workers N] [--epochs E] [--model-out DIR] [--batch-size B] [--steps-per-epoch S]
                                    [--learning-rate LR] [--validation-fraction F] [--seed S] [--max-restarts K] [--tracking-uri URI]
                                    the seed's MultiWorkerMirroredStrategy training with N local worker processes
          RecommendationEngine pipeline [--dir D] [--clicks N] [--db FILE]   the seed's DAG once: preprocess >> train >> evaluate >> deploy
          RecommendationEngine serve [--dir D] [--tracking-uri URI] [--port 8080] [--grpc-port 8081] [--poll-interval-s 10] [--once]
                                    serve models:/recsys@champion over the Open Inference Protocol on 127.0.0.1, following the alias
        """);
}
