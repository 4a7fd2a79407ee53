using Mlops.Storage;

namespace Mlops.Training.Data;

/// <summary>Options of <see cref="ParquetDataset.Open(string, string, string, ParquetDatasetOptions?)"/>.</summary>
public sealed class ParquetDatasetOptions
{
    /// <summary>Resolves the path (a local path, <c>file://</c> URI or blob URI) to a store; <see cref="StorageResolver.Default"/> if null.</summary>
    public StorageResolver? Resolver { get; init; }

    /// <summary>
    /// Row groups decoded ahead of the one being read, on a background task, when rows are read in file order (no
    /// shuffle, or a shuffle whose buffer is smaller than a row group). 1 by default; 0 decodes only on demand.
    /// </summary>
    public int ReadAheadRowGroups { get; init; } = 1;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ReadAheadRowGroups);
    }
}
