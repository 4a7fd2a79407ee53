using static TorchSharp.torch;

namespace Mlops.Training.Data.Sources;

/// <summary>Records held in memory as one row-major block, served without copying until a batch is built.</summary>
internal sealed class ArrayRecordSource : RecordSource, IRecordBlockReader
{
    private readonly RecordBlock _block;
    private readonly SourceUnit[] _units;

    public ArrayRecordSource(RecordBlock block)
    {
        _block = block;
        _units = block.Rows == 0 ? [] : [new SourceUnit(0, block.Rows)];
    }

    public override int FeatureWidth => _block.Width;

    public override IReadOnlyList<SourceUnit> Units => _units;

    public override int FileCount => 0;

    public override string Description => $"in-memory arrays ({_block.Rows} rows × {_block.Width} {(_block.IsDouble ? "float64" : "float32")} features)";

    public override IRecordBlockReader OpenReader(ScalarType elementType) => this;

    public RecordBlock Load(int unit, CancellationToken cancellationToken) => _block;

    /// <summary>Nothing to release: the arrays belong to the dataset.</summary>
    public void Dispose()
    {
    }
}
