using System.Globalization;
using Mlops.Training.Callbacks;
using Mlops.Tracking;

namespace Mlops.Training.Tracking;

/// <summary>
/// Logs a training run to Mlops.Tracking the way MLflow's Keras autologging does. On the chief only, when training
/// begins it starts a run (in <see cref="TrackingCallbackOptions.ExperimentName"/>) and logs the training parameters;
/// at the end of every epoch it logs the loss and metrics (validation ones with their <c>val_</c> prefix) with the
/// epoch as the step; when training ends it logs the model if <see cref="TrackingCallbackOptions.LogModel"/> is on and
/// ends the run FINISHED. On the other replicas it does nothing, so every worker gives the same callback list and needs
/// no <c>IsChief</c> test. Dispose it (a <c>using</c>): a run whose training did not reach its end (an exception in
/// <c>Fit</c>) is ended FAILED there, and a client the callback opened is closed.
/// </summary>
/// <example>
/// <code>
/// using var tracking = new TrackingCallback(trackingUri, new TrackingCallbackOptions { ExperimentName = "recsys" });
/// model.Fit(train, epochs: 5, callbacks: [tracking]);
/// if (tracking.Run is { } run) // the chief
/// {
///     run.LogModel(model);
/// }
/// </code>
/// </example>
public sealed class TrackingCallback : Callback, IDisposable
{
    private readonly TrackingClient? _client;
    private readonly string? _trackingUri;
    private readonly TrackingCallbackOptions _options;
    private TrackingClient? _ownedClient;

    /// <summary>Logs through a client the caller owns (and disposes after the callback).</summary>
    /// <param name="client">The tracking client; only the chief calls it.</param>
    /// <param name="options">The run and what to log; defaults when null.</param>
    /// <exception cref="ArgumentException">A registered model name without <see cref="TrackingCallbackOptions.LogModel"/>, or an empty artifact path.</exception>
    public TrackingCallback(TrackingClient client, TrackingCallbackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = Checked(options);
    }

    /// <summary>
    /// Logs to the tracking store at <paramref name="trackingUri"/>, which the chief opens when training begins (the
    /// other workers never open it, so it need exist only where the chief runs) and the callback closes on dispose.
    /// </summary>
    /// <param name="trackingUri">The tracking URI, such as <c>sqlite:///mlruns.db</c> or an MLflow server's <c>http://</c> URI.</param>
    /// <param name="options">The run and what to log; defaults when null.</param>
    /// <exception cref="ArgumentException">An empty URI, a registered model name without <see cref="TrackingCallbackOptions.LogModel"/>, or an empty artifact path.</exception>
    public TrackingCallback(string trackingUri, TrackingCallbackOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trackingUri);
        _trackingUri = trackingUri;
        _options = Checked(options);
    }

    /// <summary>The run logged to: null before training begins and on every replica but the chief; ended once training ends.</summary>
    public ActiveRun? Run { get; private set; }

    /// <summary>The model logged when training ended (with <see cref="TrackingCallbackOptions.LogModel"/>), or null.</summary>
    public LoggedModel? LoggedModel { get; private set; }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingLogs logs)
    {
        if (!Model.IsChief)
        {
            return;
        }

        // A second Fit with the same callback is a second run, as with MLflow's autologging.
        EndUnfinished();
        LoggedModel = null;
        var client = _client ?? (_ownedClient ??= new TrackingClient(_trackingUri!));
        var experimentId = _options.ExperimentName is { } name ? client.GetOrCreateExperiment(name) : null;
        Run = client.StartRun(_options.RunName, experimentId, _options.Tags);
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (_options.LogParameters)
        {
            AddTrainingParameters(parameters);
        }

        foreach (var (key, value) in _options.Parameters ?? new Dictionary<string, object?>())
        {
            parameters[key] = value;
        }

        if (parameters.Count > 0)
        {
            Run.LogParams(parameters);
        }
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, TrainingLogs logs)
    {
        if (Run is null || Run.IsEnded || !_options.LogMetrics)
        {
            return;
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in logs)
        {
            // MLflow stores doubles; a NaN would have stopped training already, an infinity is logged as is.
            metrics[name] = value;
        }

        if (Model.Optimizer is { } optimizer)
        {
            metrics["lr"] = optimizer.LearningRate;
        }

        Run.LogMetrics(metrics, step: epoch);
    }

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingLogs logs)
    {
        if (Run is null || Run.IsEnded)
        {
            return;
        }

        if (_options.LogModel)
        {
            Run.Client.Flavors.TryAdd(new TorchSharpModelFlavor());
            LoggedModel = Run.LogModel(Model, _options.ArtifactPath, _options.Signature, registeredModelName: _options.RegisteredModelName);
        }

        Run.End(RunStatus.Finished);
    }

    /// <summary>Ends FAILED a run whose training did not reach its end, and closes a client the callback opened.</summary>
    public void Dispose()
    {
        try
        {
            EndUnfinished();
        }
        finally
        {
            _ownedClient?.Dispose();
            _ownedClient = null;
        }
    }

    private void EndUnfinished()
    {
        if (Run is { IsEnded: false } run)
        {
            run.End(RunStatus.Failed);
        }
    }

    private void AddTrainingParameters(Dictionary<string, object?> parameters)
    {
        parameters["epochs"] = Parameters.Epochs;
        parameters["initial_epoch"] = Parameters.InitialEpoch;
        parameters["steps_per_epoch"] = Parameters.StepsPerEpoch?.ToString(CultureInfo.InvariantCulture) ?? "None";
        parameters["batch_size"] = Parameters.GlobalBatchSize;
        parameters["num_replicas"] = Parameters.NumReplicas;
        parameters["parameter_count"] = Model.ParameterCount;
        parameters["input_width"] = Model.InputWidth;
        parameters["element_type"] = Model.ElementType.ToString().ToLowerInvariant();
        parameters["metrics"] = string.Join(",", Parameters.MetricNames);
        if (Model.Optimizer is { } optimizer)
        {
            parameters["optimizer_name"] = optimizer.Name;
            parameters["learning_rate"] = optimizer.LearningRate;
            foreach (var (key, value) in optimizer.Config)
            {
                if (key != "learning_rate")
                {
                    parameters["opt_" + key] = value;
                }
            }
        }

        if (Model.Loss is { } loss)
        {
            parameters["loss"] = loss.Name;
        }
    }

    private static TrackingCallbackOptions Checked(TrackingCallbackOptions? options)
    {
        options ??= new TrackingCallbackOptions();
        if (options.RegisteredModelName is not null && !options.LogModel)
        {
            throw new ArgumentException(
                $"TrackingCallbackOptions.RegisteredModelName is '{options.RegisteredModelName}' but LogModel is false, so nothing would be registered: set LogModel = true, or register the model you log yourself (run.LogModel(model, registeredModelName: ...)).",
                nameof(options));
        }

        if (options.LogModel && string.IsNullOrWhiteSpace(options.ArtifactPath))
        {
            throw new ArgumentException("TrackingCallbackOptions.ArtifactPath is empty; the model needs a path in the run's artifacts, such as 'model'.", nameof(options));
        }

        return options;
    }
}
