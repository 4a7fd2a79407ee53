namespace Mlops.Features;

/// <summary>The codec that compresses the pages of written Parquet files.</summary>
public enum ParquetCompression
{
    /// <summary>No compression.</summary>
    None,

    /// <summary>Snappy: fast, moderate ratio; Spark's default.</summary>
    Snappy,

    /// <summary>Gzip (deflate): slow, good ratio; readable everywhere.</summary>
    Gzip,

    /// <summary>Zstandard: a better ratio than Snappy at a similar speed with the default (fast) level.</summary>
    Zstd,

    /// <summary>LZ4 raw blocks (the Parquet <c>LZ4_RAW</c> codec): the fastest.</summary>
    Lz4,

    /// <summary>Brotli: the best ratio, slow to write.</summary>
    Brotli,
}
