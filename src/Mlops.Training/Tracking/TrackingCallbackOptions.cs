namespace Mlops.Training.Tracking;

/// <summary>What <see cref="TrackingCallback"/> logs.</summary>
public sealed class TrackingCallbackOptions
{
    /// <summary>Log the training parameters (optimizer and its settings, loss, epochs, batch size, replicas) when training begins. Default true.</summary>
    public bool LogParameters { get; init; } = true;

    /// <summary>Log the loss and metrics of every epoch. Default true.</summary>
    public bool LogMetrics { get; init; } = true;

    /// <summary>Log the trained model (TorchSharp flavor) when training ends. Default true.</summary>
    public bool LogModel { get; init; } = true;

    /// <summary>Where in the run's artifacts the model goes. Default <c>model</c>.</summary>
    public string ArtifactPath { get; init; } = "model";

    /// <summary>Also register the logged model under this name in the model registry (a new version); null: do not register.</summary>
    public string? RegisteredModelName { get; init; }
}
