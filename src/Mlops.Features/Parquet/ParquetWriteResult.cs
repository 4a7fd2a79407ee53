namespace Mlops.Features;

/// <summary>What a Parquet write produced.</summary>
/// <param name="Files">The published part files, as display locations (local paths or URLs), in name order.</param>
/// <param name="Rows">The number of rows written.</param>
/// <param name="Bytes">The total size of the published part files in bytes.</param>
/// <param name="Elapsed">The wall-clock time of the whole write, commit included.</param>
/// <param name="Skipped">True when <see cref="SaveMode.Ignore"/> found the destination present and wrote nothing.</param>
public sealed record ParquetWriteResult(IReadOnlyList<string> Files, long Rows, long Bytes, TimeSpan Elapsed, bool Skipped = false);
