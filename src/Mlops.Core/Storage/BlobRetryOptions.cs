using System.ComponentModel.DataAnnotations;

namespace Mlops.Storage;

/// <summary>
/// How remote blob operations are retried. One policy governs every call (the Azure SDK's own retries are
/// turned off), so the numbers here are the whole story: an operation is tried at most
/// <see cref="MaxRetryAttempts"/> + 1 times, each try limited to <see cref="AttemptTimeout"/>, with an
/// exponential, jittered delay between tries that starts near <see cref="Delay"/> and never exceeds
/// <see cref="MaxDelay"/>.
/// </summary>
public sealed class BlobRetryOptions
{
    /// <summary>How many times a failed operation is retried after the first try; 0 disables retries. Default 5.</summary>
    [Range(0, 50)]
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>The base delay of the exponential backoff. Default 0.8 s, as the Azure SDK uses.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(800);

    /// <summary>The longest delay between two tries. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long one try may take before it is cancelled and counted as a transient failure. Default 100 s,
    /// the Azure SDK's network timeout; one try moves at most one block or read chunk.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(100);
}
