namespace Mlops.Training.Callbacks;

/// <summary>How <see cref="ProgressBar"/> shows progress.</summary>
public enum ProgressBarMode
{
    /// <summary>A bar redrawn in place during each epoch (Keras' verbose=1), for a terminal.</summary>
    Bar,

    /// <summary>One line at the end of each epoch (Keras' verbose=2), for logs and redirected output.</summary>
    OneLinePerEpoch,
}
