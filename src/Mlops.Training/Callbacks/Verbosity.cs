namespace Mlops.Training.Callbacks;

/// <summary>
/// What <c>Fit</c>'s <c>verbose</c> argument and the <see cref="ProgressBar"/> print, as Keras' <c>verbose</c>
/// ("auto", 0, 1, 2).
/// </summary>
public enum Verbosity
{
    /// <summary>Keras' "auto": <see cref="ProgressBar"/> on a terminal, <see cref="OneLinePerEpoch"/> when output is redirected. <c>Fit</c>'s default.</summary>
    Auto = 0,

    /// <summary>Nothing (Keras' verbose=0).</summary>
    Silent = 1,

    /// <summary>A bar redrawn in place during each epoch, then the epoch's line (Keras' verbose=1), for a terminal.</summary>
    ProgressBar = 2,

    /// <summary>One line at the end of each epoch (Keras' verbose=2), for logs and redirected output.</summary>
    OneLinePerEpoch = 3,
}
