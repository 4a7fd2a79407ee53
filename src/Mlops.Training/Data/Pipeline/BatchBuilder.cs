using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mlops.Training.Data.Sources;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Data.Pipeline;

/// <summary>
/// Builds a replica's batch: allocates the CPU tensors and copies the rows straight into their memory, run by run
/// (a whole contiguous run is one block copy; a shuffled batch is one small copy per row). No managed buffer sits in
/// between and nothing is allocated per row.
/// </summary>
internal static class BatchBuilder
{
    /// <summary>Builds the batch from rows [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>) of <paramref name="runs"/>.</summary>
    public static DataBatch Build(List<RecordRun> runs, int offset, int count, BlockSet blocks, int width, ScalarType type, long globalCount, DatasetPosition position)
    {
        var features = torch.empty([count, width], dtype: type);
        Tensor? labels = null;
        try
        {
            labels = torch.empty([count], dtype: type);
            if (count > 0)
            {
                if (type == ScalarType.Float64)
                {
                    Fill(MemoryMarshal.Cast<byte, double>(features.bytes), MemoryMarshal.Cast<byte, double>(labels.bytes), runs, offset, count, blocks, width);
                }
                else
                {
                    Fill(MemoryMarshal.Cast<byte, float>(features.bytes), MemoryMarshal.Cast<byte, float>(labels.bytes), runs, offset, count, blocks, width);
                }
            }

            return new DataBatch(features, labels, globalCount, position);
        }
        catch
        {
            features.Dispose();
            labels?.Dispose();
            throw;
        }
    }

    private static void Fill<T>(Span<T> features, Span<T> labels, List<RecordRun> runs, int offset, int count, BlockSet blocks, int width)
        where T : unmanaged
    {
        var written = 0;
        var skip = offset;
        foreach (var run in CollectionsMarshal.AsSpan(runs))
        {
            if (skip >= run.Length)
            {
                skip -= run.Length;
                continue;
            }

            var row = run.Row + skip;
            var length = Math.Min(run.Length - skip, count - written);
            skip = 0;
            var block = blocks.Get(run.Unit);
            var targetFeatures = features.Slice(written * width, length * width);
            var targetLabels = labels.Slice(written, length);
            if (block.IsDouble)
            {
                Copy(block.Double.Features.Span.Slice(row * width, length * width), targetFeatures);
                Copy(block.Double.Labels.Span.Slice(row, length), targetLabels);
            }
            else
            {
                Copy(block.Single.Features.Span.Slice(row * width, length * width), targetFeatures);
                Copy(block.Single.Labels.Span.Slice(row, length), targetLabels);
            }

            written += length;
            if (written == count)
            {
                return;
            }
        }

        throw new InvalidOperationException($"The batch needs {count} rows from offset {offset} but its runs hold fewer; this is a bug in the dataset reader.");
    }

    /// <summary>Copies, converting between float and double where the stored and wanted types differ.</summary>
    private static void Copy<TSource, TTarget>(ReadOnlySpan<TSource> source, Span<TTarget> target)
        where TSource : unmanaged
        where TTarget : unmanaged
    {
        if (typeof(TSource) == typeof(TTarget))
        {
            MemoryMarshal.Cast<TSource, TTarget>(source).CopyTo(target);
        }
        else if (typeof(TSource) == typeof(float))
        {
            var from = MemoryMarshal.Cast<TSource, float>(source);
            var to = MemoryMarshal.Cast<TTarget, double>(target);
            for (var i = 0; i < from.Length; i++)
            {
                to[i] = from[i];
            }
        }
        else
        {
            var from = MemoryMarshal.Cast<TSource, double>(source);
            var to = MemoryMarshal.Cast<TTarget, float>(target);
            for (var i = 0; i < from.Length; i++)
            {
                to[i] = (float)from[i];
            }
        }
    }
}

/// <summary>The decoded units one enumeration holds: loaded when a row is first needed, dropped when their last row has passed.</summary>
internal sealed class BlockSet : IDisposable
{
    private readonly IRecordBlockReader _reader;
    private readonly Dictionary<int, RecordBlock> _blocks = [];
    private int _lastUnit = -1;
    private RecordBlock? _last;

    public BlockSet(IRecordBlockReader reader, CancellationToken cancellationToken)
    {
        _reader = reader;
        CancellationToken = cancellationToken;
        Release = unit =>
        {
            _blocks.Remove(unit);
            _reader.Forget(unit);
            if (unit == _lastUnit)
            {
                _lastUnit = -1;
                _last = null;
            }
        };
    }

    public CancellationToken CancellationToken { get; }

    /// <summary>Drops a unit's data (a cached delegate, so releasing allocates nothing).</summary>
    public Action<int> Release { get; }

    /// <summary>Units currently held.</summary>
    public int Count => _blocks.Count;

    /// <summary>Lets the reader start decoding units that are not held yet.</summary>
    public void ReadAhead(List<int> units)
    {
        foreach (var unit in units)
        {
            if (!_blocks.ContainsKey(unit))
            {
                _reader.ReadAhead(unit, CancellationToken);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public RecordBlock Get(int unit) => unit == _lastUnit ? _last! : Load(unit);

    public void Dispose()
    {
        _blocks.Clear();
        _reader.Dispose();
    }

    private RecordBlock Load(int unit)
    {
        if (!_blocks.TryGetValue(unit, out var block))
        {
            block = _reader.Load(unit, CancellationToken);
            _blocks[unit] = block;
        }

        _lastUnit = unit;
        _last = block;
        return block;
    }
}
