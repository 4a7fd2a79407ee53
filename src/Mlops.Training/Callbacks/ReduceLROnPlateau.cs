namespace Mlops.Training.Callbacks;

/// <summary>
/// Multiplies the learning rate by <c>factor</c> when a monitored quantity has not improved for <c>patience</c>
/// epochs (Keras' <c>ReduceLROnPlateau</c>), never below <c>minLearningRate</c>, then waits <c>cooldown</c> epochs
/// before counting again.
/// </summary>
public sealed class ReduceLROnPlateau : Callback
{
    private readonly Monitor _monitor;
    private readonly double _factor;
    private readonly int _patience;
    private readonly int _cooldown;
    private readonly double _minLearningRate;
    private double _best;
    private int _wait;
    private int _cooldownLeft;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The quantity to watch.</param>
    /// <param name="factor">The multiplier, in (0, 1).</param>
    /// <param name="patience">Epochs without improvement before reducing.</param>
    /// <param name="mode">Whether lower or higher is better; Auto decides from the name.</param>
    /// <param name="minDelta">The least change that counts as an improvement.</param>
    /// <param name="cooldown">Epochs after a reduction during which no counting happens.</param>
    /// <param name="minLearningRate">The lowest learning rate.</param>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, MonitorMode mode = MonitorMode.Auto, double minDelta = 1e-4, int cooldown = 0, double minLearningRate = 0)
    {
        if (!(factor > 0 && factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The factor must be in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        ArgumentOutOfRangeException.ThrowIfNegative(minLearningRate);
        _monitor = new Monitor(monitor, mode, minDelta);
        _factor = factor;
        _patience = patience;
        _cooldown = cooldown;
        _minLearningRate = minLearningRate;
    }

    /// <summary>The learning rates set by this callback, with the 0-based epoch at whose end each was set.</summary>
    public IReadOnlyList<(int Epoch, double LearningRate)> Reductions => _reductions;

    private readonly List<(int Epoch, double LearningRate)> _reductions = [];

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingLogs logs)
    {
        _best = _monitor.Worst;
        _wait = 0;
        _cooldownLeft = 0;
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, TrainingLogs logs)
    {
        var current = _monitor.Read(logs, nameof(ReduceLROnPlateau));
        var optimizer = Model.Optimizer ?? throw new InvalidOperationException("The model has no optimizer; compile it first.");
        if (_cooldownLeft > 0)
        {
            _cooldownLeft--;
            _wait = 0;
        }

        if (_monitor.Improves(current, _best))
        {
            _best = current;
            _wait = 0;
            return;
        }

        if (_cooldownLeft > 0)
        {
            return;
        }

        _wait++;
        if (_wait >= _patience && optimizer.LearningRate > _minLearningRate)
        {
            optimizer.LearningRate = Math.Max(optimizer.LearningRate * _factor, _minLearningRate);
            _reductions.Add((epoch, optimizer.LearningRate));
            _cooldownLeft = _cooldown;
            _wait = 0;
        }
    }
}
