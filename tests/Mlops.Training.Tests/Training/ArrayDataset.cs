using Mlops.Training.Data;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Training;

/// <summary>
/// A test-only dataset that implements Read itself (as a user's dataset would): rows and labels, batched, optionally shuffled per pass with a seed and repeated, with
/// record sharding (each replica takes its contiguous slice of every global batch) or, to exercise the trainer's
/// uneven-end handling, "file-like" sharding (replica r reads rows i % N == r in local batches of B/N with unknown
/// global counts).
/// </summary>
internal sealed class ArrayDataset : Dataset
{
    private readonly double[][] _features;
    private readonly double[][] _labels;
    private readonly int? _batchSize;
    private readonly int? _repeat;
    private readonly bool _repeatForever;
    private readonly int? _seed;
    private readonly bool _fileLike;

    public ArrayDataset(double[][] features, double[] labels)
        : this(features, labels.Select(label => new[] { label }).ToArray(), null, null, false, null, false, flatLabels: true)
    {
    }

    private ArrayDataset(double[][] features, double[][] labels, int? batchSize, int? repeat, bool repeatForever, int? seed, bool fileLike, bool flatLabels)
    {
        _features = features;
        _labels = labels;
        _batchSize = batchSize;
        _repeat = repeat;
        _repeatForever = repeatForever;
        _seed = seed;
        _fileLike = fileLike;
        FlatLabels = flatLabels;
    }

    public bool FlatLabels { get; }

    public int Reads { get; private set; }

    public override int FeatureWidth => _features.Length == 0 ? 0 : _features[0].Length;

    public override int? GlobalBatchSize => _batchSize;

    public override bool IsInfinite => _repeatForever;

    public static ArrayDataset WithLabelRows(double[][] features, double[][] labels) => new(features, labels, null, null, false, null, false, flatLabels: false);

    public ArrayDataset Batch(int size) => new(_features, _labels, size, _repeat, _repeatForever, _seed, _fileLike, FlatLabels);

    public new ArrayDataset Repeat(int? count = null) => new(_features, _labels, _batchSize, count, count is null, _seed, _fileLike, FlatLabels);

    public ArrayDataset Shuffle(int seed) => new(_features, _labels, _batchSize, _repeat, _repeatForever, seed, _fileLike, FlatLabels);

    public ArrayDataset FileLike() => new(_features, _labels, _batchSize, _repeat, _repeatForever, _seed, true, FlatLabels);

    public override long? BatchesPerPass(int numReplicas) =>
        _batchSize is not { } size || _fileLike ? null : (_features.Length + size - 1) / size;

    public override string ToString() => $"ArrayDataset({_features.Length} rows x {FeatureWidth})";

    public override IEnumerable<DataBatch> Read(DataReadContext context, DatasetPosition start, CancellationToken cancellationToken = default)
    {
        var size = _batchSize ?? throw new InvalidOperationException("not batched");
        Reads++;
        // Passes are absolute, as in the library's datasets: a dataset of P passes holds passes 0 to P-1.
        var lastPass = _repeatForever ? int.MaxValue : (_repeat ?? 1) - 1;
        var firstBatch = start.Batch;
        for (var pass = start.Pass; pass <= lastPass; pass++)
        {
            var order = Order(pass);
            if (_fileLike)
            {
                var mine = order.Where((_, i) => i % context.NumReplicas == context.ReplicaId).ToArray();
                var local = size / context.NumReplicas;
                for (long b = firstBatch; b * local < mine.Length; b++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var rows = mine.Skip((int)(b * local)).Take(local).ToArray();
                    yield return Make(rows, context, -1, new DatasetPosition(pass, b));
                }
            }
            else
            {
                var batches = (_features.Length + size - 1) / size;
                for (long b = firstBatch; b < batches; b++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var globalRows = order.Skip((int)(b * size)).Take(size).ToArray();
                    var share = size / context.NumReplicas;
                    var rows = globalRows.Skip(context.ReplicaId * share).Take(share).ToArray();
                    yield return Make(rows, context, globalRows.Length, new DatasetPosition(pass, b));
                }
            }

            firstBatch = 0;
        }
    }

    private int[] Order(int pass)
    {
        var order = Enumerable.Range(0, _features.Length).ToArray();
        if (_seed is { } seed)
        {
            new Random(seed + pass).Shuffle(order);
        }

        return order;
    }

    private DataBatch Make(int[] rows, DataReadContext context, long globalCount, DatasetPosition position)
    {
        var width = FeatureWidth;
        var features = new double[rows.Length * width];
        var labelWidth = _labels.Length == 0 ? 1 : _labels[0].Length;
        var labels = new double[rows.Length * labelWidth];
        for (var i = 0; i < rows.Length; i++)
        {
            _features[rows[i]].CopyTo(features, i * width);
            _labels[rows[i]].CopyTo(labels, i * labelWidth);
        }

        var featureTensor = tensor(features, [rows.Length, width]).to_type(context.ElementType);
        var labelTensor = FlatLabels
            ? tensor(labels, [rows.Length]).to_type(context.ElementType)
            : tensor(labels, [rows.Length, labelWidth]).to_type(context.ElementType);
        return new DataBatch(featureTensor, labelTensor, globalCount, position);
    }
}
