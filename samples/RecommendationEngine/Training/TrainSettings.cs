using System.Globalization;

namespace RecommendationEngine.Training;

/// <summary>The <c>train</c> command's settings, parsed from <c>--name value</c> options and passed on to the workers.</summary>
public sealed record TrainSettings
{
    /// <summary>The feature job's output folder (Parquet part files with <c>features</c> and <c>label</c>).</summary>
    public required string Features { get; init; }

    /// <summary>Where the chief saves the trained model.</summary>
    public required string ModelOut { get; init; }

    /// <summary>The tracking store (MLflow-style URI).</summary>
    public required string TrackingUri { get; init; }

    /// <summary>Local worker processes (the world size).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Epochs to train.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Steps per epoch; null: one full pass over the training rows per epoch.</summary>
    public int? StepsPerEpoch { get; init; }

    /// <summary>The global batch size, split across the workers.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 0.001;

    /// <summary>The share of rows (the last ones) held out for validation.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Seeds parameter initialisation and shuffling, identically on every worker.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>How many times the launcher restarts the job after a worker fails (training resumes from its backup).</summary>
    public int MaxRestarts { get; init; } = 1;

    /// <summary>Where BackupAndRestore keeps the state a restarted job resumes from.</summary>
    public string BackupDirectory => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ModelOut))!, "training-backup");

    /// <summary>Reads the settings from parsed options.</summary>
    public static TrainSettings From(IReadOnlyDictionary<string, string> options, string defaultRoot)
    {
        var features = options.GetValueOrDefault("features") ?? throw new ArgumentException("Missing option --features (the feature job's output folder).");
        var root = Path.GetDirectoryName(Path.GetFullPath(features))!;
        var settings = new TrainSettings
        {
            Features = Path.GetFullPath(features),
            ModelOut = Path.GetFullPath(options.GetValueOrDefault("model-out") ?? Path.Combine(root, "model")),
            TrackingUri = options.GetValueOrDefault("tracking-uri") ?? "sqlite:///" + Path.Combine(Path.GetFullPath(defaultRoot.Length > 0 ? defaultRoot : root), "mlruns.db"),
            Workers = Int(options, "workers", 2, 1, 64),
            Epochs = Int(options, "epochs", 3, 1, 100_000),
            StepsPerEpoch = options.ContainsKey("steps-per-epoch") ? Int(options, "steps-per-epoch", 1, 1, int.MaxValue) : null,
            BatchSize = Int(options, "batch-size", 256, 1, 1 << 24),
            LearningRate = Double(options, "learning-rate", 0.001),
            ValidationFraction = Double(options, "validation-fraction", 0.1),
            Seed = Int(options, "seed", 42, 0, int.MaxValue),
            MaxRestarts = Int(options, "max-restarts", 1, 0, 100),
        };
        if (settings.ValidationFraction is < 0 or >= 1)
        {
            throw new ArgumentException($"Option --validation-fraction must be in [0, 1); got {settings.ValidationFraction}.");
        }

        if (settings.BatchSize % settings.Workers != 0)
        {
            throw new ArgumentException($"Option --batch-size {settings.BatchSize} is not divisible by --workers {settings.Workers}: the global batch is split evenly across the workers, as with TensorFlow's MultiWorkerMirroredStrategy.");
        }

        return settings;
    }

    /// <summary>The options that reproduce these settings (what the launcher passes to each worker).</summary>
    public IEnumerable<string> ToArguments()
    {
        yield return "--features";
        yield return Features;
        yield return "--model-out";
        yield return ModelOut;
        yield return "--tracking-uri";
        yield return TrackingUri;
        yield return "--workers";
        yield return Workers.ToString(CultureInfo.InvariantCulture);
        yield return "--epochs";
        yield return Epochs.ToString(CultureInfo.InvariantCulture);
        if (StepsPerEpoch is { } steps)
        {
            yield return "--steps-per-epoch";
            yield return steps.ToString(CultureInfo.InvariantCulture);
        }

        yield return "--batch-size";
        yield return BatchSize.ToString(CultureInfo.InvariantCulture);
        yield return "--learning-rate";
        yield return LearningRate.ToString("R", CultureInfo.InvariantCulture);
        yield return "--validation-fraction";
        yield return ValidationFraction.ToString("R", CultureInfo.InvariantCulture);
        yield return "--seed";
        yield return Seed.ToString(CultureInfo.InvariantCulture);
        yield return "--max-restarts";
        yield return MaxRestarts.ToString(CultureInfo.InvariantCulture);
    }

    private static int Int(IReadOnlyDictionary<string, string> options, string name, int fallback, int min, int max) =>
        !options.TryGetValue(name, out var text) ? fallback
        : int.TryParse(text.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value
        : throw new ArgumentException($"Option --{name} must be a whole number from {min} to {max}; got '{text}'.");

    private static double Double(IReadOnlyDictionary<string, string> options, string name, double fallback) =>
        !options.TryGetValue(name, out var text) ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value
        : throw new ArgumentException($"Option --{name} must be a number; got '{text}'.");
}
