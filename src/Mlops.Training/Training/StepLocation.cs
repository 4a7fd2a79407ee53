namespace Mlops.Training;

/// <summary>Where in training a check happens, formatted only when a message needs it (no string per step).</summary>
/// <param name="Epoch">The 0-based epoch.</param>
/// <param name="Step">The 0-based step within the epoch.</param>
/// <param name="Stage">What is running, when not training (for example "validation after epoch 2").</param>
internal readonly record struct StepLocation(int Epoch, long Step, string? Stage = null)
{
    /// <inheritdoc />
    public override string ToString() => Stage is null ? $"epoch {Epoch + 1}, step {Step + 1}" : $"{Stage}, step {Step + 1}";
}
