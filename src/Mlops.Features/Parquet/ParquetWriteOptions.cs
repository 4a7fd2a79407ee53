using Mlops.Storage;
using IOCompressionLevel = System.IO.Compression.CompressionLevel;

namespace Mlops.Features;

/// <summary>Options of <see cref="Frame.WriteParquet(string, ParquetWriteOptions?, CancellationToken)"/>.</summary>
public sealed class ParquetWriteOptions
{
    /// <summary>The default number of rows per row group.</summary>
    public const int DefaultRowGroupSize = 262_144;

    /// <summary>The page codec; <see cref="ParquetCompression.Snappy"/> by default, as in Spark.</summary>
    public ParquetCompression Compression { get; init; } = ParquetCompression.Snappy;

    /// <summary>
    /// The codec's level. When null a fast level is chosen per codec: Zstd <see cref="IOCompressionLevel.Optimal"/>
    /// (zstd level 3), Gzip, Lz4 and Brotli <see cref="IOCompressionLevel.Fastest"/>; Snappy and None have no level.
    /// The level is always passed to Parquet.Net explicitly because its own default (<c>SmallestSize</c>, zstd
    /// level 19) is about a hundred times slower.
    /// </summary>
    public IOCompressionLevel? CompressionLevel { get; init; }

    /// <summary>Rows per row group (the unit a reader decodes and parallelises on); 262,144 by default.</summary>
    public int RowGroupSize { get; init; } = DefaultRowGroupSize;

    /// <summary>Rows per part file before a worker starts a new one; null for no limit.</summary>
    public long? MaxRowsPerFile { get; init; }

    /// <summary>What to do when the destination exists; <see cref="SaveMode.ErrorIfExists"/> by default.</summary>
    public SaveMode Mode { get; init; } = SaveMode.ErrorIfExists;

    /// <summary>Resolves the path to a store; the frame's <see cref="Frame.Session"/>'s resolver if null.</summary>
    public StorageResolver? Resolver { get; init; }

    /// <summary>
    /// How many part files are encoded at once, each by its own worker that pulls partitions and appends them
    /// as row groups to its file; the frame's <see cref="FrameSession.DegreeOfParallelism"/> if null.
    /// </summary>
    public int? DegreeOfParallelism { get; init; }

    /// <summary>The level passed to Parquet.Net for <see cref="Compression"/>.</summary>
    internal IOCompressionLevel EffectiveCompressionLevel => CompressionLevel ?? Compression switch
    {
        ParquetCompression.Zstd => IOCompressionLevel.Optimal,
        _ => IOCompressionLevel.Fastest,
    };

    internal void Validate()
    {
        if (RowGroupSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(RowGroupSize), RowGroupSize, "RowGroupSize must be at least 1 row.");
        }

        if (MaxRowsPerFile is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRowsPerFile), MaxRowsPerFile, "MaxRowsPerFile must be at least 1 row, or null for no limit.");
        }

        if (DegreeOfParallelism is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(DegreeOfParallelism), DegreeOfParallelism, "DegreeOfParallelism must be at least 1, or null for the default.");
        }

        if (!Enum.IsDefined(Compression))
        {
            throw new ArgumentOutOfRangeException(nameof(Compression), Compression, "Unknown compression codec.");
        }

        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Unknown save mode.");
        }
    }
}
