using System.Globalization;
using System.Text.Json;
using Mlops.Training.Data;

namespace Mlops.Training.Callbacks;

/// <summary>
/// Makes training survive a restart (Keras' <c>BackupAndRestore</c>). At the end of every epoch, or every
/// <c>saveEveryBatches</c> steps, the chief writes the weights, the optimizer state (step count, moments, learning
/// rate) and the position (epoch, steps done in it, and the dataset position of the next batch) into
/// <c>backupDirectory</c>; then every replica meets at a barrier. The weights and optimizer files get new names each
/// time and <c>backup.json</c>, written last by an atomic rename, points at them, so a crash mid-write leaves the
/// previous backup intact. When <c>Fit</c> starts and a backup exists, every replica loads it and training continues
/// exactly where it stopped: a restarted job ends with the same weights as one that was never interrupted (with
/// deterministic data order and no dropout). The backup is deleted when training completes, as in Keras. In a
/// multi-machine job the folder must be shared by all workers.
/// </summary>
public sealed class BackupAndRestore : Callback, IResumeSource
{
    private const string StateFile = "backup.json";
    private const string Format = "mlops-backup";
    private readonly string _directory;
    private readonly int? _saveEveryBatches;
    private readonly bool _deleteAtEnd;
    private long _batchesSinceSave;

    /// <summary>Creates the callback.</summary>
    /// <param name="backupDirectory">Where the backup lives (shared by all workers).</param>
    /// <param name="saveEveryBatches">Back up every this many steps instead of at the end of every epoch.</param>
    /// <param name="deleteAtEnd">Delete the backup when training completes (Keras' default).</param>
    public BackupAndRestore(string backupDirectory, int? saveEveryBatches = null, bool deleteAtEnd = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backupDirectory);
        if (saveEveryBatches is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(saveEveryBatches), saveEveryBatches, "saveEveryBatches must be at least 1.");
        }

        _directory = backupDirectory;
        _saveEveryBatches = saveEveryBatches;
        _deleteAtEnd = deleteAtEnd;
    }

    /// <summary>The epoch (0-based) and step within it that the last <c>Fit</c> resumed from, or null when it started fresh.</summary>
    public (int Epoch, long Step)? ResumedFrom { get; private set; }

    /// <inheritdoc />
    public override void OnTrainBatchEnd(long batch, TrainingLogs logs)
    {
        if (_saveEveryBatches is { } every && ++_batchesSinceSave >= every)
        {
            _batchesSinceSave = 0;
            var state = FitState!;
            Backup(new ResumePoint(state.Epoch, state.StepInEpoch, state.Next));
        }
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, TrainingLogs logs)
    {
        if (_saveEveryBatches is null)
        {
            Backup(new ResumePoint(epoch + 1, 0, FitState!.Next));
        }
    }

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingLogs logs)
    {
        // Called only when training completed (also when a callback stopped it), not when it failed.
        if (!_deleteAtEnd)
        {
            return;
        }

        Model.Context.Barrier(CancellationToken.None);
        if (Model.IsChief && Directory.Exists(_directory))
        {
            foreach (var file in Directory.EnumerateFiles(_directory).Where(IsBackupFile))
            {
                File.Delete(file);
            }

            // The folder goes too when only the backup was in it, as Keras removes its backup directory; a folder the
            // user keeps other files in stays.
            if (!Directory.EnumerateFileSystemEntries(_directory).Any())
            {
                Directory.Delete(_directory);
            }
        }
    }

    ResumePoint? IResumeSource.ReadResumePoint(Model model, out string? error)
    {
        error = null;
        ResumedFrom = null;
        var path = Path.Combine(_directory, StateFile);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != Format)
            {
                error = $"{path} is not a backup written by BackupAndRestore";
                return null;
            }

            var point = new ResumePoint(
                root.GetProperty("epoch").GetInt32(),
                root.GetProperty("step_in_epoch").GetInt64(),
                new DatasetPosition(root.GetProperty("next_pass").GetInt32(), root.GetProperty("next_batch").GetInt64()));
            _pending = new Pending(
                Path.Combine(_directory, root.GetProperty("weights").GetString()!),
                Path.Combine(_directory, root.GetProperty("optimizer").GetString()!),
                root.GetProperty("optimizer_name").GetString()!,
                root.GetProperty("iterations").GetInt64(),
                root.GetProperty("learning_rate").GetDouble());
            ResumedFrom = (point.Epoch, point.StepInEpoch);
            return point;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IOException or FormatException)
        {
            error = $"the backup {path} cannot be read: {ex.Message}";
            return null;
        }
    }

    string? IResumeSource.Restore(Model model, ResumePoint point)
    {
        var pending = _pending ?? throw new InvalidOperationException("No backup was read.");
        try
        {
            var optimizer = model.Optimizer!;
            if (optimizer.Name != pending.OptimizerName)
            {
                return $"the backup in {_directory} holds {pending.OptimizerName} state, but the model is compiled with {optimizer.Name}";
            }

            model.LoadWeights(pending.Weights);
            var (tensors, _) = SafeTensorsFile.Read(pending.Optimizer);
            try
            {
                optimizer.Restore(pending.Iterations, tensors);
            }
            catch (ArgumentException ex)
            {
                return $"{pending.Optimizer}: {ex.Message}";
            }
            finally
            {
                foreach (var tensor in tensors.Values)
                {
                    tensor.Dispose();
                }
            }

            optimizer.LearningRate = pending.LearningRate;
            return null;
        }
        catch (ModelFormatException ex)
        {
            return ex.Message;
        }
    }

    private Pending? _pending;

    private void Backup(ResumePoint point)
    {
        if (Model.IsChief)
        {
            Write(point);
        }

        // Nobody runs ahead of a backup the chief may still be writing (a failure there then stops every replica).
        Model.Context.Barrier(CancellationToken.None);
    }

    private void Write(ResumePoint point)
    {
        Directory.CreateDirectory(_directory);
        var optimizer = Model.Optimizer!;
        var generation = $"{point.Epoch:D6}-{point.StepInEpoch:D9}";
        var weights = $"weights-{generation}.safetensors";
        var optimizerFile = $"optimizer-{generation}.safetensors";
        SafeTensorsFile.Write(Path.Combine(_directory, weights), Model.NamedTensors());
        SafeTensorsFile.Write(
            Path.Combine(_directory, optimizerFile),
            optimizer.State.ToList(),
            new Dictionary<string, string>(StringComparer.Ordinal) { ["optimizer"] = optimizer.Name, ["iterations"] = optimizer.Iterations.ToString(CultureInfo.InvariantCulture) });
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("epoch", point.Epoch);
            json.WriteNumber("step_in_epoch", point.StepInEpoch);
            json.WriteNumber("next_pass", point.Next.Pass);
            json.WriteNumber("next_batch", point.Next.Batch);
            json.WriteString("weights", weights);
            json.WriteString("optimizer", optimizerFile);
            json.WriteString("optimizer_name", optimizer.Name);
            json.WriteNumber("iterations", optimizer.Iterations);
            json.WriteNumber("learning_rate", optimizer.LearningRate);
            json.WriteEndObject();
        }

        AtomicFile.Write(Path.Combine(_directory, StateFile), stream => stream.Write(buffer.ToArray()));
        foreach (var file in Directory.EnumerateFiles(_directory, "*.safetensors"))
        {
            var name = Path.GetFileName(file);
            if (IsBackupFile(file) && name != weights && name != optimizerFile)
            {
                File.Delete(file);
            }
        }
    }

    private static bool IsBackupFile(string path)
    {
        var name = Path.GetFileName(path);
        return name == StateFile || ((name.StartsWith("weights-", StringComparison.Ordinal) || name.StartsWith("optimizer-", StringComparison.Ordinal)) && name.EndsWith(".safetensors", StringComparison.Ordinal));
    }

    private sealed record Pending(string Weights, string Optimizer, string OptimizerName, long Iterations, double LearningRate);
}
