namespace Mlops.Training.Callbacks;

/// <summary>Whether a monitored quantity improves by going down or up (Keras' <c>mode</c>).</summary>
public enum MonitorMode
{
    /// <summary>Up for accuracy-like metrics (accuracy, auc, precision, recall), down for everything else (losses, errors).</summary>
    Auto,

    /// <summary>Lower is better.</summary>
    Min,

    /// <summary>Higher is better.</summary>
    Max,
}
