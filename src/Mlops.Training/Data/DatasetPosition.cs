namespace Mlops.Training.Data;

/// <summary>A place in a dataset's stream of global batches: the pass over the data (epoch of the data, which seeds
/// its shuffle) and the index of the global batch within that pass. Used to resume exactly where a run stopped.</summary>
/// <param name="Pass">The 0-based pass over the data.</param>
/// <param name="Batch">The 0-based index of the global batch within the pass.</param>
public readonly record struct DatasetPosition(int Pass, long Batch)
{
    /// <summary>The start of the data.</summary>
    public static DatasetPosition Start => default;

    /// <inheritdoc />
    public override string ToString() => $"pass {Pass}, batch {Batch}";
}
