using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// An embedding table looked up with float-encoded ids (a model's inputs are float feature vectors): [n, columns] ids
/// give [n, columns, dimension] embeddings, as <c>nn.Embedding</c> does, with the same parameter name <c>weight</c>.
/// </summary>
internal sealed class IdEmbedding : nn.Module<Tensor, Tensor>
{
    // Named as the registered parameter, so Module.to's epilogue updates this field when it moves the weight.
    [ComponentName(Name = "weight")]
    private Parameter _weight;

    public IdEmbedding(int vocabularySize, int dimension, Device device, ScalarType elementType, Generator? generator)
        : base("IdEmbedding")
    {
        var weight = empty([vocabularySize, dimension], elementType, device);
        using (no_grad())
        {
            // Keras' default embeddings initializer: uniform in [-0.05, 0.05].
            weight.uniform_(-0.05, 0.05, generator);
        }

        _weight = new Parameter(weight);
        register_parameter("weight", _weight);
    }

    public override Tensor forward(Tensor input)
    {
        using var ids = input.to_type(ScalarType.Int64);
        using var flat = ids.reshape(-1);
        using var rows = _weight.index_select(0, flat);
        return rows.reshape(input.shape[0], input.shape[1], _weight.shape[1]);
    }

    // Registered in the constructor under the PyTorch name.
    protected override void RegisterComponents()
    {
    }
}
