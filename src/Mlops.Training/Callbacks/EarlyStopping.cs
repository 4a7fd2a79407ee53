namespace Mlops.Training.Callbacks;

/// <summary>
/// Stops training when a monitored quantity has stopped improving (Keras' <c>EarlyStopping</c>): after
/// <c>patience</c> epochs without an improvement of more than <c>minDelta</c>, and optionally restores the weights of
/// the best epoch. Every replica sees the same (reduced) logs, so all stop at the same epoch.
/// </summary>
public sealed class EarlyStopping : Callback, IDisposable
{
    private readonly Monitor _monitor;
    private readonly int _patience;
    private readonly double? _baseline;
    private readonly bool _restoreBestWeights;
    private readonly int _startFromEpoch;
    private ModelWeights? _bestWeights;
    private double _best;
    private int _wait;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The quantity to watch (for example "val_loss" or "accuracy").</param>
    /// <param name="minDelta">The least change that counts as an improvement.</param>
    /// <param name="patience">Epochs without improvement before stopping.</param>
    /// <param name="mode">Whether lower or higher is better; Auto decides from the name.</param>
    /// <param name="baseline">A value the quantity must beat; training stops after <paramref name="patience"/> epochs that do not.</param>
    /// <param name="restoreBestWeights">When stopping, put back the weights of the best epoch.</param>
    /// <param name="startFromEpoch">Epochs at the start during which no improvement is expected (warm-up).</param>
    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, MonitorMode mode = MonitorMode.Auto, double? baseline = null, bool restoreBestWeights = false, int startFromEpoch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(startFromEpoch);
        _monitor = new Monitor(monitor, mode, minDelta);
        _patience = patience;
        _baseline = baseline;
        _restoreBestWeights = restoreBestWeights;
        _startFromEpoch = startFromEpoch;
    }

    /// <summary>The 0-based epoch at which training was stopped, or -1 when it was not.</summary>
    public int StoppedEpoch { get; private set; } = -1;

    /// <summary>The 0-based epoch with the best value so far, or -1.</summary>
    public int BestEpoch { get; private set; } = -1;

    /// <summary>The best value so far.</summary>
    public double Best => _best;

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingLogs logs)
    {
        _wait = 0;
        StoppedEpoch = -1;
        BestEpoch = -1;
        _best = _monitor.Worst;
        _bestWeights?.Dispose();
        _bestWeights = null;
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, TrainingLogs logs)
    {
        var current = _monitor.Read(logs, nameof(EarlyStopping));
        if (epoch < _startFromEpoch)
        {
            return;
        }

        if (_restoreBestWeights && _bestWeights is null)
        {
            // Like Keras: without any improvement, the first epoch's weights are the ones to go back to.
            _bestWeights = Model.GetWeights();
        }

        _wait++;
        if (_monitor.Improves(current, _best))
        {
            _best = current;
            BestEpoch = epoch;
            if (_restoreBestWeights)
            {
                _bestWeights?.Dispose();
                _bestWeights = Model.GetWeights();
            }

            // Patience restarts only when the value beats the baseline too.
            if (_baseline is not { } baseline || _monitor.Improves(current, baseline))
            {
                _wait = 0;
            }

            return;
        }

        if (_wait >= _patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            Model.StopTraining = true;
            if (_restoreBestWeights && _bestWeights is not null)
            {
                Model.SetWeights(_bestWeights);
            }
        }
    }

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingLogs logs)
    {
        _bestWeights?.Dispose();
        _bestWeights = null;
    }

    /// <inheritdoc />
    public void Dispose() => _bestWeights?.Dispose();
}
