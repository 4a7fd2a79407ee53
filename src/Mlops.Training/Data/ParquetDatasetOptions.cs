using Mlops.Storage;

namespace Mlops.Training.Data;

/// <summary>Options of <see cref="ParquetDataset.Open(string, string, string, ParquetDatasetOptions?)"/>.</summary>
public sealed class ParquetDatasetOptions
{
    /// <summary>Resolves the path (a local path, <c>file://</c> URI or blob URI) to a store; <see cref="StorageResolver.Default"/> if null.</summary>
    public StorageResolver? Resolver { get; init; }

    /// <summary>
    /// Row groups decoded ahead on thread-pool threads: the next ones the reading order reaches (in file order, or in
    /// the shuffled row-group order), so decoding overlaps with building batches and with training. 1 by default; 0
    /// decodes each row group on the reading thread when it is first needed. Each one read ahead holds its decoded rows
    /// in memory until it is used.
    /// </summary>
    public int ReadAheadRowGroups { get; init; } = 1;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ReadAheadRowGroups);
    }
}
