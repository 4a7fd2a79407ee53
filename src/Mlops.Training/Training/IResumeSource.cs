namespace Mlops.Training;

/// <summary>A callback that can put a starting <c>Fit</c> back where an earlier, interrupted one stopped (BackupAndRestore).</summary>
internal interface IResumeSource
{
    /// <summary>Reads where to resume from, locally and before any collective; null when there is nothing to resume. Problems go to <paramref name="error"/>.</summary>
    ResumePoint? ReadResumePoint(Model model, out string? error);

    /// <summary>Loads the saved weights and optimizer state into the model (on every replica); returns a problem, or null.</summary>
    string? Restore(Model model, ResumePoint point);
}
