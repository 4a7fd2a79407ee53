using static TorchSharp.torch;

namespace Mlops.Training.Data.Sources;

/// <summary>One unit of a source: the file it belongs to (for file sharding) and its row count.</summary>
/// <param name="File">The index of the file among the source's files (0 for in-memory data).</param>
/// <param name="Rows">Rows in the unit.</param>
internal readonly record struct SourceUnit(int File, int Rows);

/// <summary>
/// Where a dataset's records come from, as units that are decoded whole: the row groups of Parquet files or an
/// in-memory array. The pipeline plans its order from the row counts alone and decodes a unit only when one of its
/// rows is needed, so skipping ahead costs nothing for units it passes.
/// </summary>
internal abstract class RecordSource
{
    /// <summary>Values in each record's feature vector.</summary>
    public abstract int FeatureWidth { get; }

    /// <summary>The units in their natural order (files in path order, row groups in file order).</summary>
    public abstract IReadOnlyList<SourceUnit> Units { get; }

    /// <summary>The number of files, which file sharding divides among replicas; 0 for in-memory data.</summary>
    public abstract int FileCount { get; }

    /// <summary>What the source is, for messages (a path, or "in-memory arrays").</summary>
    public abstract string Description { get; }

    /// <summary>Opens a reader for one enumeration; it may keep files open until disposed.</summary>
    /// <param name="elementType">float32 or float64: the type the blocks are wanted in when the source decodes (it may return the other type when it holds data in memory; the batch builder converts).</param>
    public abstract IRecordBlockReader OpenReader(ScalarType elementType);

    /// <summary>Total rows over all units.</summary>
    public long TotalRows()
    {
        long total = 0;
        foreach (var unit in Units)
        {
            total += unit.Rows;
        }

        return total;
    }
}

/// <summary>Decodes units of a source; one per enumeration, used from one thread at a time.</summary>
internal interface IRecordBlockReader : IDisposable
{
    /// <summary>Decodes unit <paramref name="unit"/> (or takes the result of an earlier <see cref="ReadAhead"/>).</summary>
    RecordBlock Load(int unit, CancellationToken cancellationToken);

    /// <summary>A hint that <paramref name="unit"/> will be loaded soon: a reader may start decoding it in the background.</summary>
    void ReadAhead(int unit, CancellationToken cancellationToken)
    {
    }

    /// <summary>The unit will not be loaded again in this enumeration: drop anything read ahead for it.</summary>
    void Forget(int unit)
    {
    }
}
