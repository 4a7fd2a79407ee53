using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// The first stage of a model with <see cref="EmbedLayer"/>s: looks up each embedded column's ids and concatenates
/// the embeddings (in declaration order) with the input's other columns (in input order). Its parameters are
/// <c>embeddings.{k}.weight</c> (the k-th declared embedding, shape [vocabulary, dimension]), as a PyTorch module
/// holding an <c>nn.ModuleList</c> of <c>nn.Embedding</c> named <c>embeddings</c> would have.
/// </summary>
internal sealed class EmbeddingStage : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Embedding> _embeddings;
    private readonly long[] _columns;
    private Tensor? _denseColumns;

    public EmbeddingStage(int inputWidth, IReadOnlyList<EmbedLayer> layers, Device device, ScalarType elementType, Generator? generator)
        : base("EmbeddingStage")
    {
        _columns = layers.Select(layer => (long)layer.Column).ToArray();
        var tables = new Embedding[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            tables[i] = nn.Embedding(layers[i].VocabularySize, layers[i].Dimension, device: device, dtype: elementType);
            using (no_grad())
            {
                // Keras' default embeddings initializer: uniform in [-0.05, 0.05].
                tables[i].weight!.uniform_(-0.05, 0.05, generator);
            }
        }

        _embeddings = new ModuleList<Embedding>(tables);
        var dense = Enumerable.Range(0, inputWidth).Where(column => !_columns.Contains(column)).Select(column => (long)column).ToArray();
        _denseColumns = dense.Length == 0 ? null : tensor(dense, device: device);
        register_module("embeddings", _embeddings);
    }

    public override Tensor forward(Tensor input)
    {
        var parts = new Tensor[_columns.Length + (_denseColumns is null ? 0 : 1)];
        for (var i = 0; i < _columns.Length; i++)
        {
            parts[i] = _embeddings[i].forward(input.select(1, _columns[i]).to_type(ScalarType.Int64));
        }

        if (_denseColumns is not null)
        {
            if (_denseColumns.device != input.device)
            {
                // Not a registered buffer (it is not a weight), so moving the module does not move it.
                var moved = _denseColumns.to(input.device).DetachFromDisposeScope();
                _denseColumns.Dispose();
                _denseColumns = moved;
            }

            parts[^1] = input.index_select(1, _denseColumns);
        }

        return cat(parts, 1);
    }

    // Registered explicitly in the constructor: the column index tensor is not a buffer (not saved with the weights).
    protected override void RegisterComponents()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _denseColumns?.Dispose();
        }

        base.Dispose(disposing);
    }
}
