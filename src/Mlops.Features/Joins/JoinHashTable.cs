namespace Mlops.Features.Joins;

/// <summary>What a probe emits for each streamed row.</summary>
internal enum ProbeMode
{
    /// <summary>One pair per matching build row.</summary>
    Inner,

    /// <summary>One pair per matching build row, or the row with build index -1 when none matches (outer joins).</summary>
    KeepUnmatched,

    /// <summary>The row once (build index -1) when any build row matches.</summary>
    Semi,

    /// <summary>The row (build index -1) when no build row matches.</summary>
    Anti,
}

/// <summary>Where a probe of one batch stopped because its output buffers were full.</summary>
internal struct ProbeCursor
{
    /// <summary>The streamed row being probed.</summary>
    public int Row;

    /// <summary>The next slot to compare in the row's bucket, or -1 when the row has not been looked up yet.</summary>
    public int Position;

    /// <summary>The end of the row's bucket.</summary>
    public int End;

    /// <summary>Whether the row has matched so far.</summary>
    public bool Matched;

    /// <summary>The row's key hash, for tables that compare hashes before bytes.</summary>
    public ulong Hash;

    public static ProbeCursor Start => new() { Position = -1 };
}

/// <summary>
/// A hash table over the rows of the build side. Rows are stored grouped by bucket (a bucket-start array
/// over slots in bucket order), so a look-up is one read of the start array and a scan of adjacent slots;
/// rows of one key keep their original order.
/// </summary>
internal abstract class JoinHashTable
{
    /// <summary>The number of build rows (null keys included).</summary>
    public abstract int RowCount { get; }

    /// <summary>Builds the table for keys encoded with <paramref name="encoder"/>.</summary>
    public static JoinHashTable Build(JoinKeyEncoder encoder, EncodedKeys keys) =>
        encoder.UsesLongs ? new LongKeyHashTable(keys) : new ByteKeyHashTable(keys);

    /// <summary>
    /// Probes the rows of <paramref name="probe"/> from <paramref name="cursor"/> on, writing pairs of
    /// (streamed row, build row or -1) until the buffers are full or the batch ends; returns the pair count
    /// and advances the cursor. Rows with a null key never match.
    /// </summary>
    public abstract int Probe(EncodedKeys probe, ProbeMode mode, ref ProbeCursor cursor, Span<int> probeRows, Span<int> buildRows);

    /// <summary>Counts valid rows per bucket and turns the counts into bucket starts; returns each row's bucket (-1 for null keys).</summary>
    protected static int[] GroupByBucket(ReadOnlySpan<ulong> hashes, ReadOnlySpan<byte> validity, int validityOffset, int shift, int[] starts)
    {
        var buckets = new int[hashes.Length];
        for (var i = 0; i < hashes.Length; i++)
        {
            if (!Mlops.Arrow.ArrowArrays.IsValid(validity, validityOffset, i))
            {
                buckets[i] = -1;
                continue;
            }

            var b = (int)(hashes[i] >> shift);
            buckets[i] = b;
            starts[b + 1]++;
        }

        for (var b = 1; b < starts.Length; b++)
        {
            starts[b] += starts[b - 1];
        }

        return buckets;
    }
}
