namespace Mlops.Training.Data.Sources;

/// <summary>
/// The decoded rows of one unit of a source (a Parquet row group, or an in-memory array): a row-major feature matrix
/// and the labels, in single or double precision.
/// </summary>
internal sealed class RecordBlock
{
    /// <summary>A block of single-precision rows.</summary>
    public RecordBlock(ReadOnlyMemory<float> features, ReadOnlyMemory<float> labels, int width)
    {
        Single = (features, labels);
        Width = width;
        Rows = labels.Length;
    }

    /// <summary>A block of double-precision rows.</summary>
    public RecordBlock(ReadOnlyMemory<double> features, ReadOnlyMemory<double> labels, int width)
    {
        Double = (features, labels);
        IsDouble = true;
        Width = width;
        Rows = labels.Length;
    }

    /// <summary>Whether the values are stored as <see cref="double"/> (<see cref="Double"/>) rather than <see cref="float"/> (<see cref="Single"/>).</summary>
    public bool IsDouble { get; }

    /// <summary>Single-precision features (rows × width, row-major) and labels; empty when <see cref="IsDouble"/>.</summary>
    public (ReadOnlyMemory<float> Features, ReadOnlyMemory<float> Labels) Single { get; }

    /// <summary>Double-precision features (rows × width, row-major) and labels; empty unless <see cref="IsDouble"/>.</summary>
    public (ReadOnlyMemory<double> Features, ReadOnlyMemory<double> Labels) Double { get; }

    /// <summary>Values per row.</summary>
    public int Width { get; }

    /// <summary>Rows in the block.</summary>
    public int Rows { get; }
}
