using Mlops.Storage;

namespace Mlops.Features;

/// <summary>Options of <see cref="Frame.ReadParquet(string, ParquetReadOptions?)"/>.</summary>
public sealed class ParquetReadOptions
{
    /// <summary>
    /// The columns to read, in the order the frame should have them; <see langword="null"/> reads all.
    /// Only these columns are decoded, so projecting early is the cheapest way to read less.
    /// </summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>Resolves the path to a store; the reading <see cref="FrameSession"/>'s resolver if null.</summary>
    public StorageResolver? Resolver { get; init; }
}
