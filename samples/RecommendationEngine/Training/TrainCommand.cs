using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Features;
using Mlops.Tracking;
using Mlops.Training;
using Mlops.Training.Callbacks;
using Mlops.Training.Data;
using Mlops.Training.Distributed;
using Mlops.Distributed.Launch;
using Mlops.Training.Tracking;

namespace RecommendationEngine.Training;

/// <summary>
/// The seed's training stage: <c>tf.distribute.MultiWorkerMirroredStrategy</c> with the seed's Keras model
/// (Dense 64 relu → Dense 64 relu → Dense 1 sigmoid, Adam, binary cross-entropy, accuracy) on the feature job's
/// output. <c>train</c> starts N local worker processes through the launcher (which restarts them after a failure;
/// training then resumes from its backup); each worker runs <c>train-worker</c>, and the chief saves the model and
/// logs the run.
/// </summary>
public static class TrainCommand
{
    /// <summary>The name of the file the chief writes next to the model with the run's outcome.</summary>
    public const string SummaryFile = "training-summary.json";

    /// <summary>Launches the workers and waits for them; returns the process exit code.</summary>
    /// <param name="session">The host's frame session, which opens the features for the row count and the majority-class bar.</param>
    /// <param name="settings">The training settings, passed on to the workers.</param>
    /// <param name="output">Where progress goes.</param>
    public static int Run(FrameSession session, TrainSettings settings, TextWriter output)
    {
        var split = Datasets(session, settings);
        var rows = split.TrainRows + split.ValidationRows;
        output.WriteLine($"train: {settings.Workers} worker(s), MultiWorkerMirroredStrategy, gradients all-reduced over the ring (shared memory between local workers), {rows:N0} feature rows in {settings.Features}");
        output.WriteLine($"  model: Dense(64, relu) -> Dense(64, relu) -> Dense(1, sigmoid); Adam(lr {settings.LearningRate}), binary cross-entropy, accuracy");
        output.WriteLine($"  {settings.Epochs} epoch(s), global batch {settings.BatchSize} ({settings.BatchSize / settings.Workers} per worker), {settings.ValidationFraction:P0} held out for validation, seed {settings.Seed}");
        var watch = Stopwatch.StartNew();
        var launcher = new LocalLauncher(LaunchOptions.ForCurrentProgram(["train-worker", .. settings.ToArguments()], settings.Workers, settings.MaxRestarts), output);
        var result = launcher.Run();
        if (!result.Succeeded)
        {
            output.WriteLine(result.Summary());
            return result.ExitCode;
        }

        var summary = TrainingSummary.Read(Path.Combine(settings.ModelOut, SummaryFile));
        output.WriteLine($"  trained in {watch.Elapsed.TotalSeconds:0.0} s ({result.Attempts} attempt(s)): loss {summary.Loss:0.0000}, accuracy {summary.Accuracy:0.0000}, val_loss {summary.ValidationLoss:0.0000}, val_accuracy {summary.ValidationAccuracy:0.0000}");
        var (majority, heldOut) = ModelEvaluation.MajorityAccuracy(split.Validation);
        output.WriteLine($"  always predicting the majority class would score {majority:0.0000} on the {heldOut:N0} held-out rows");
        output.WriteLine($"  saved the model to {settings.ModelOut} (model.json + model.safetensors); run {summary.RunId} in experiment '{PrepareTracking.Experiment}' at {settings.TrackingUri}");
        return 0;
    }

    /// <summary>
    /// One worker of the job, in its own host: the strategy (from the container) joins the job from the launcher's
    /// variables, the datasets are read through the host's frame session, and the chief saves and logs through the
    /// host's tracking client.
    /// </summary>
    public static int Worker(TrainSettings settings)
    {
        using var host = SampleHost.StartWorker(new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [SampleHost.TrackingUriKey] = settings.TrackingUri,
            [SampleHost.TrainingSeedKey] = settings.Seed.ToString(CultureInfo.InvariantCulture),
        });
        var services = host.Services;
        var strategy = services.GetRequiredService<MultiWorkerMirroredStrategy>();
        var (train, validation, trainRows, _) = Datasets(services.GetRequiredService<FrameSession>(), settings);
        using var model = strategy.Scope(() => Sequential.Input(train.FeatureWidth)
            .Dense(64, Activation.Relu)
            .Dense(64, Activation.Relu)
            .Dense(1, Activation.Sigmoid)
            .Compile(Optimizer.Adam(settings.LearningRate), Loss.BinaryCrossEntropy, Metric.Accuracy));

        // The callback starts the run on the chief and ends it FAILED if Fit throws. Only the chief resolves the
        // tracking client (which opens the store), so the other workers never open it; the callback would do nothing
        // on them anyway.
        using var trackingCallback = strategy.IsChief
            ? new TrackingCallback(services.GetRequiredService<TrackingClient>(), new TrackingCallbackOptions
            {
                ExperimentName = PrepareTracking.Experiment,
                RunName = "model_training",
                Tags = new Dictionary<string, string> { ["stage"] = "model_training" },
                Parameters = new Dictionary<string, object?> { ["features"] = settings.Features, ["train_rows"] = trainRows, ["seed"] = settings.Seed },

                // The model goes into the run with its signature, so the deployment task can register runs:/<run>/model
                // and a server publishes its input (features, FP32 [-1, width]) and output (prediction, FP32 [-1, 1]).
                LogModel = true,
                Signature = ModelSignatures.ForFeatures(train.FeatureWidth),
            })
            : null;
        var callbacks = new List<Callback> { new BackupAndRestore(settings.BackupDirectory) };
        if (trackingCallback is not null)
        {
            callbacks.Add(trackingCallback);
        }

        var history = model.Fit(train, settings.Epochs, settings.StepsPerEpoch, validation, callbacks: callbacks, verbose: strategy.IsChief ? Verbosity.Auto : Verbosity.Silent);
        if (trackingCallback?.Run is { } run)
        {
            model.Save(settings.ModelOut);
            var last = history.Epochs.Count - 1;
            new TrainingSummary(
                run.RunId,
                history["loss"][last],
                history["accuracy"][last],
                history["val_loss"][last],
                history["val_accuracy"][last]).Write(Path.Combine(settings.ModelOut, SummaryFile));
        }

        return 0;
    }

    /// <summary>The training rows (shuffled, batched) and the held-out validation rows (the last ones) of the features.</summary>
    public static FeatureSplit Datasets(FrameSession session, TrainSettings settings)
    {
        ArgumentNullException.ThrowIfNull(session);
        // Record sharding: every worker sees the same row order and takes its slice of each global batch, so the
        // train/validation split below (Take/Skip on rows) means the same on every worker. With file sharding each
        // worker would read only its own part files and take/skip within them.
        // The features are a plain Parquet scan of the host's session, so the dataset reads them through the dense
        // Parquet path (as ParquetDataset.Open would), opened once: the footers give the exact row count; nothing is decoded for it.
        var all = Dataset.FromFrame(session.ReadParquet(settings.Features), "features", "label").WithOptions(new DatasetOptions { AutoShardPolicy = AutoShardPolicy.Data });
        var rows = all.RecordsPerPass() ?? throw new InvalidOperationException($"The row count of {settings.Features} is unknown.");
        var held = (long)Math.Round(rows * settings.ValidationFraction);
        var trainRows = rows - held;
        var train = all.Take(trainRows).Shuffle(bufferSize: (int)Math.Min(trainRows, 1 << 20), seed: settings.Seed).Batch(settings.BatchSize).Prefetch(4);
        var validation = all.Skip(trainRows).Batch(settings.BatchSize);
        return new FeatureSplit(settings.StepsPerEpoch is null ? train : train.Repeat(), validation, trainRows, held);
    }
}

/// <summary>The feature rows split for training: shuffled training batches and the held-out rows (the last ones).</summary>
/// <param name="Train">The training batches.</param>
/// <param name="Validation">The held-out batches.</param>
/// <param name="TrainRows">Rows in <paramref name="Train"/> per pass.</param>
/// <param name="ValidationRows">Rows in <paramref name="Validation"/>.</param>
public sealed record FeatureSplit(Dataset Train, Dataset Validation, long TrainRows, long ValidationRows);

/// <summary>What the chief reports back to the launching process.</summary>
public sealed record TrainingSummary(string RunId, double Loss, double Accuracy, double ValidationLoss, double ValidationAccuracy)
{
    /// <summary>Writes the summary as JSON (temp file + rename).</summary>
    public void Write(string path)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads a summary written by <see cref="Write"/>.</summary>
    public static TrainingSummary Read(string path) =>
        JsonSerializer.Deserialize<TrainingSummary>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty training summary.");
}
