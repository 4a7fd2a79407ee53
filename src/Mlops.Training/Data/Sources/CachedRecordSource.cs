using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace Mlops.Training.Data.Sources;

/// <summary>
/// Keeps every unit of an underlying source in memory once it has been decoded (<see cref="Dataset.Cache"/>), so
/// later passes and later enumerations read from memory. Units are cached per element type; when two readers decode
/// the same unit at once, the first result is kept.
/// </summary>
internal sealed class CachedRecordSource : RecordSource
{
    private readonly RecordSource _inner;
    private readonly ConcurrentDictionary<(int Unit, ScalarType Type), RecordBlock> _blocks = new();

    public CachedRecordSource(RecordSource inner)
    {
        _inner = inner;
    }

    public override int FeatureWidth => _inner.FeatureWidth;

    public override IReadOnlyList<SourceUnit> Units => _inner.Units;

    public override int FileCount => _inner.FileCount;

    public override string Description => _inner.Description + " (cached)";

    public override IRecordBlockReader OpenReader(ScalarType elementType) => new Reader(this, elementType);

    private sealed class Reader(CachedRecordSource owner, ScalarType elementType) : IRecordBlockReader
    {
        private IRecordBlockReader? _inner;

        public RecordBlock Load(int unit, CancellationToken cancellationToken)
        {
            if (owner._blocks.TryGetValue((unit, elementType), out var cached))
            {
                return cached;
            }

            _inner ??= owner._inner.OpenReader(elementType);
            var block = _inner.Load(unit, cancellationToken);
            return owner._blocks.GetOrAdd((unit, elementType), block);
        }

        public void ReadAhead(int unit, CancellationToken cancellationToken)
        {
            if (!owner._blocks.ContainsKey((unit, elementType)))
            {
                _inner ??= owner._inner.OpenReader(elementType);
                _inner.ReadAhead(unit, cancellationToken);
            }
        }

        public void Forget(int unit) => _inner?.Forget(unit);

        public void Dispose() => _inner?.Dispose();
    }
}
