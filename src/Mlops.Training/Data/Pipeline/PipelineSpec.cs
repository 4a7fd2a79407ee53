namespace Mlops.Training.Data.Pipeline;

/// <summary>How a pipeline shuffles: the buffer size, the seed, and whether each pass gets its own order.</summary>
internal sealed record ShuffleSpec(int BufferSize, long Seed, bool ReshuffleEachPass);

/// <summary>
/// A dataset's transformations, folded into the fixed order the reader applies them in:
/// source window (Skip/Take before Shuffle) → unit-order shuffle and buffer shuffle → stream window (Skip/Take after
/// Shuffle) → Batch → batch window (Skip/Take after Batch) → Repeat → Prefetch. Calls that tf.data would apply in
/// another order are folded where this order gives them the same meaning, and refused where it would not.
/// </summary>
internal sealed record PipelineSpec
{
    public static PipelineSpec Empty { get; } = new();

    public RecordWindow SourceWindow { get; init; } = RecordWindow.All;

    public ShuffleSpec? Shuffle { get; init; }

    public RecordWindow StreamWindow { get; init; } = RecordWindow.All;

    public int? BatchSize { get; init; }

    public bool DropRemainder { get; init; }

    public RecordWindow BatchWindow { get; init; } = RecordWindow.All;

    /// <summary>Whether <c>Repeat</c> has been called (Skip/Take are refused after it).</summary>
    public bool RepeatCalled { get; init; }

    /// <summary>Passes over the data; null repeats forever.</summary>
    public long? Passes { get; init; } = 1;

    /// <summary>Batches produced ahead on a background thread; 0 for none.</summary>
    public int PrefetchBatches { get; init; }

    public bool Cached { get; init; }

    public DatasetOptions Options { get; init; } = new();

    /// <summary>The window that Skip/Take called now would change, by where the pipeline is.</summary>
    public PipelineSpec WithWindow(Func<RecordWindow, RecordWindow> change, string operation)
    {
        if (RepeatCalled)
        {
            throw new InvalidOperationException(
                $"{operation} after Repeat is not supported: passes never run into each other here, so a window over the repeated stream has no meaning. Call {operation} before Repeat, or bound training with Fit's epochs and stepsPerEpoch.");
        }

        if (BatchSize is not null)
        {
            return this with { BatchWindow = change(BatchWindow) };
        }

        return Shuffle is not null ? this with { StreamWindow = change(StreamWindow) } : this with { SourceWindow = change(SourceWindow) };
    }
}
