using Mlops.Training.Data;

namespace Mlops.Training;

/// <summary>Where a running <c>Fit</c> is: what a backup saves so that a restarted job continues exactly there.</summary>
internal sealed class FitState
{
    /// <summary>The current 0-based epoch.</summary>
    public int Epoch { get; set; }

    /// <summary>Steps completed in the current epoch.</summary>
    public long StepInEpoch { get; set; }

    /// <summary>Where the next training batch is in the dataset's stream.</summary>
    public DatasetPosition Next { get; set; }
}

/// <summary>A place to resume training from: the epoch, the steps already done in it, and the next batch's position.</summary>
/// <param name="Epoch">The 0-based epoch to continue (or start).</param>
/// <param name="StepInEpoch">Steps of that epoch already done.</param>
/// <param name="Next">The next batch's position.</param>
internal sealed record ResumePoint(int Epoch, long StepInEpoch, DatasetPosition Next);
