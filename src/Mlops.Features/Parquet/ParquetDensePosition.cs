namespace Mlops.Features;

/// <summary>
/// A place in the rows of a <see cref="ParquetDenseReader"/>: a file, a row group within it and a row within that
/// row group. <see cref="ParquetDenseCursor.Read(ref ParquetDensePosition, Memory{float}, Memory{float}, CancellationToken)"/>
/// reads from it and advances it, so a reader can stop and resume exactly where it was.
/// </summary>
/// <param name="File">The file's index in <see cref="ParquetDenseReader.Files"/>.</param>
/// <param name="RowGroup">The row group within the file.</param>
/// <param name="Row">The row within the row group.</param>
public readonly record struct ParquetDensePosition(int File, int RowGroup, int Row)
{
    /// <summary>The first row of the first file.</summary>
    public static ParquetDensePosition Start => default;

    /// <inheritdoc />
    public override string ToString() => $"file {File}, row group {RowGroup}, row {Row}";
}

/// <summary>One non-empty row group of a <see cref="ParquetDenseReader"/>, from the footers.</summary>
/// <param name="File">The file's index in <see cref="ParquetDenseReader.Files"/>.</param>
/// <param name="RowGroup">The row group within the file.</param>
/// <param name="Rows">Rows in the row group.</param>
/// <param name="FirstRow">The row group's first row within its file.</param>
public readonly record struct ParquetRowGroupInfo(int File, int RowGroup, int Rows, long FirstRow);
