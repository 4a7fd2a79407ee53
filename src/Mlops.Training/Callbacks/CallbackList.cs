namespace Mlops.Training.Callbacks;

/// <summary>Calls every callback in order (Keras' <c>CallbackList</c>).</summary>
internal sealed class CallbackList
{
    private readonly Callback[] _callbacks;

    public CallbackList(IEnumerable<Callback> callbacks, Model model, TrainingParameters parameters, FitState? state)
    {
        _callbacks = callbacks.ToArray();
        foreach (var callback in _callbacks)
        {
            callback.Model = model;
            callback.Parameters = parameters;
            callback.FitState = state;
        }
    }

    public IReadOnlyList<Callback> Items => _callbacks;

    public void OnTrainBegin(TrainingLogs logs)
    {
        foreach (var callback in _callbacks)
        {
            callback.OnTrainBegin(logs);
        }
    }

    public void OnTrainEnd(TrainingLogs logs)
    {
        foreach (var callback in _callbacks)
        {
            callback.OnTrainEnd(logs);
        }
    }

    public void OnEpochBegin(int epoch)
    {
        foreach (var callback in _callbacks)
        {
            callback.OnEpochBegin(epoch, TrainingLogs.Empty);
        }
    }

    public void OnEpochEnd(int epoch, TrainingLogs logs)
    {
        foreach (var callback in _callbacks)
        {
            callback.OnEpochEnd(epoch, logs);
        }
    }

    public void OnTrainBatchBegin(long batch)
    {
        foreach (var callback in _callbacks)
        {
            callback.OnTrainBatchBegin(batch, TrainingLogs.Empty);
        }
    }

    public void OnTrainBatchEnd(long batch, TrainingLogs logs)
    {
        foreach (var callback in _callbacks)
        {
            callback.OnTrainBatchEnd(batch, logs);
        }
    }

    public void OnTestBegin()
    {
        foreach (var callback in _callbacks)
        {
            callback.OnTestBegin(TrainingLogs.Empty);
        }
    }

    public void OnTestBatchEnd(long batch, TrainingLogs logs)
    {
        foreach (var callback in _callbacks)
        {
            callback.OnTestBatchEnd(batch, logs);
        }
    }

    public void OnTestEnd(TrainingLogs logs)
    {
        foreach (var callback in _callbacks)
        {
            callback.OnTestEnd(logs);
        }
    }
}
