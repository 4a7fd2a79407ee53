namespace Mlops.Training.Callbacks;

/// <summary>
/// Saves the model during training (Keras' <c>ModelCheckpoint</c>), on the chief only: at the end of every epoch, or
/// every <c>saveEveryBatches</c> steps, into the folder <c>path</c> (which may hold <c>{epoch:02d}</c>-style
/// placeholders and logged quantities such as <c>{val_loss:.3f}</c>). With <c>saveBestOnly</c> it saves only
/// when the monitored quantity improves. Each save is a full <see cref="Model.Save"/> (architecture and weights, atomic files).
/// </summary>
public sealed class ModelCheckpoint : Callback
{
    private readonly string _path;
    private readonly Monitor _monitor;
    private readonly bool _saveBestOnly;
    private readonly int? _saveEveryBatches;
    private double _best;
    private long _batchesSinceSave;

    /// <summary>Creates the callback.</summary>
    /// <param name="path">The folder to save into; may hold {epoch}, {batch} and logged names with Python formats.</param>
    /// <param name="monitor">The quantity deciding "best".</param>
    /// <param name="saveBestOnly">Save only when the monitored quantity improves on the best so far.</param>
    /// <param name="mode">Whether lower or higher is better; Auto decides from the name.</param>
    /// <param name="saveEveryBatches">Save every this many steps instead of every epoch.</param>
    /// <param name="initialValueThreshold">A value the first saved checkpoint must beat (with <paramref name="saveBestOnly"/>).</param>
    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false, MonitorMode mode = MonitorMode.Auto, int? saveEveryBatches = null, double? initialValueThreshold = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (saveEveryBatches is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(saveEveryBatches), saveEveryBatches, "saveEveryBatches must be at least 1.");
        }

        _path = path;
        _monitor = new Monitor(monitor, mode, 0);
        _saveBestOnly = saveBestOnly;
        _saveEveryBatches = saveEveryBatches;
        _best = initialValueThreshold ?? _monitor.Worst;
    }

    /// <summary>The folders saved so far, in order.</summary>
    public IReadOnlyList<string> Saved => _saved;

    private readonly List<string> _saved = [];

    /// <inheritdoc />
    public override void OnTrainBatchEnd(long batch, TrainingLogs logs)
    {
        if (_saveEveryBatches is not { } every || ++_batchesSinceSave < every)
        {
            return;
        }

        _batchesSinceSave = 0;
        Save(FitState?.Epoch ?? 0, batch, logs);
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, TrainingLogs logs)
    {
        if (_saveEveryBatches is null)
        {
            Save(epoch, null, logs);
        }
    }

    private void Save(int epoch, long? batch, TrainingLogs logs)
    {
        if (_saveBestOnly)
        {
            var current = _monitor.Read(logs, nameof(ModelCheckpoint));
            if (!_monitor.Improves(current, _best))
            {
                return;
            }

            _best = current;
        }

        if (!Model.IsChief)
        {
            return;
        }

        var folder = CheckpointPath.Format(_path, epoch, batch, logs);
        Model.Save(folder);
        _saved.Add(folder);
    }
}
