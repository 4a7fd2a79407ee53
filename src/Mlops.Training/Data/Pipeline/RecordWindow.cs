namespace Mlops.Training.Data.Pipeline;

/// <summary>
/// The composition of <c>Skip</c> and <c>Take</c> calls at one level of a pipeline (records or batches): a start
/// offset and an optional length. Any sequence of skips and takes folds into one window.
/// </summary>
/// <param name="Start">Elements skipped from the front.</param>
/// <param name="Count">Elements kept after the skipped ones, or null for all.</param>
internal readonly record struct RecordWindow(long Start, long? Count)
{
    /// <summary>Everything.</summary>
    public static RecordWindow All => new(0, null);

    /// <summary>Whether the window keeps everything.</summary>
    public bool IsAll => Start == 0 && Count is null;

    /// <summary>The window after also skipping <paramref name="n"/> of its elements.</summary>
    public RecordWindow Skip(long n) => new(Start + n, Count is { } c ? Math.Max(0, c - n) : null);

    /// <summary>The window after also keeping at most <paramref name="n"/> of its elements.</summary>
    public RecordWindow Take(long n) => new(Start, Count is { } c ? Math.Min(c, n) : n);

    /// <summary>The first element kept and how many are kept from a sequence of <paramref name="total"/>.</summary>
    public (long First, long Length) Clip(long total)
    {
        var first = Math.Min(Start, total);
        var length = total - first;
        if (Count is { } c && c < length)
        {
            length = c;
        }

        return (first, length);
    }
}
