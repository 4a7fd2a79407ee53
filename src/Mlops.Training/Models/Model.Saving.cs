using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>Saving and loading: <c>model.json</c> and <c>model.safetensors</c>.</summary>
public sealed partial class Model
{
    /// <summary>
    /// Writes the model to <paramref name="directory"/>: <c>model.json</c> (architecture and compile settings) and
    /// <c>model.safetensors</c> (every parameter and buffer), each written atomically (a temporary file renamed over
    /// the old one). The tensor names are the PyTorch <c>state_dict</c> keys of the equivalent <c>torch.nn.Sequential</c>,
    /// numbered as PyTorch numbers its entries: a dense layer is an <c>nn.Linear</c> followed, unless its activation is
    /// linear, by the activation's module (<c>nn.ReLU</c>, <c>nn.Sigmoid</c>, <c>nn.Tanh</c>, <c>nn.Softmax(dim=-1)</c>,
    /// <c>nn.GELU</c>, <c>nn.LeakyReLU(slope)</c>); dropout is <c>nn.Dropout(rate)</c>; batch normalisation is
    /// <c>nn.BatchNorm1d(width, eps, momentum=1-keras_momentum)</c> (with <c>running_mean</c>, <c>running_var</c>,
    /// <c>num_batches_tracked</c>); an embedding layer is <c>nn.Embedding(vocabulary, dimension)</c> (<c>k.weight</c>) then
    /// <c>nn.Flatten()</c>, fed integer ids; an activation layer is its module (<c>nn.Identity</c> for linear). So
    /// <c>Input(10).Dense(64, Relu).Dense(1, Sigmoid)</c> saves <c>0.weight</c> [64, 10], <c>0.bias</c>, <c>2.weight</c>
    /// [1, 64], <c>2.bias</c>, and <c>nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 1), nn.Sigmoid())
    /// .load_state_dict(safetensors.torch.load_file("model.safetensors"))</c> loads them. Embed layers form entry 0, a
    /// module whose <c>nn.ModuleList</c> named <c>embeddings</c> holds one <c>nn.Embedding(vocabulary, dimension)</c> per
    /// embed layer in declaration order (<c>0.embeddings.0.weight</c>, ...), and whose forward concatenates the
    /// embeddings of the id columns with the remaining input columns. For a <see cref="FromModule"/> model the names are
    /// its module's own <c>state_dict</c> keys and <c>model.json</c> only marks it as a module. Only the chief should
    /// call this in a multi-worker job (the checkpoint callbacks do).
    /// </summary>
    /// <param name="directory">The folder (created if missing).</param>
    /// <remarks>
    /// Synchronous, with no <c>SaveAsync</c>: the work is copying the tensors off the device through TorchSharp's
    /// synchronous API and writing two local files, so a twin could only wrap <c>Task.Run</c>. Off a UI or request
    /// thread, <c>await Task.Run(() => model.Save(directory), ct)</c>, with no training running on the model meanwhile.
    /// </remarks>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Directory.CreateDirectory(directory);
        SafeTensorsFile.Write(
            Path.Combine(directory, ModelJson.WeightsFileName),
            NamedTensors(),
            new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt", ["producer"] = "Mlops.Training" });
        var json = ModelJson.Write(this);
        AtomicFile.Write(Path.Combine(directory, ModelJson.FileName), stream => stream.Write(json));
    }

    /// <summary>
    /// Rebuilds a saved model in the current strategy scope (CPU outside any) and loads its weights; compiles it again
    /// when it was saved compiled. A model saved from <see cref="FromModule"/> needs <paramref name="moduleFactory"/>
    /// to make the same (untrained) module.
    /// </summary>
    /// <param name="directory">A folder written by <see cref="Save"/>.</param>
    /// <param name="moduleFactory">Makes the module of a <see cref="FromModule"/> model.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ModelFormatException">A file is missing, truncated or inconsistent; the message names the file and the tensor.</exception>
    /// <remarks>Synchronous, with no <c>LoadAsync</c>, for the reason given on <see cref="Save"/> (local files read into TorchSharp tensors): off a UI or request thread, <c>await Task.Run(() => Model.Load(directory), ct)</c>.</remarks>
    public static Model Load(string directory, Func<TorchSharp.torch.nn.Module<Tensor, Tensor>>? moduleFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var jsonPath = Path.Combine(directory, ModelJson.FileName);
        var saved = ModelJson.Read(jsonPath);
        var weightsPath = Path.Combine(directory, saved.WeightsFile);
        Model model;
        if (saved.Description is { } description)
        {
            model = description.Build();
        }
        else
        {
            var module = moduleFactory?.Invoke()
                ?? throw new ArgumentException($"{jsonPath} holds a wrapped TorchSharp module: pass a moduleFactory that makes the same module.", nameof(moduleFactory));
            model = FromModule(module, saved.InputWidth, saved.ElementType);
        }

        try
        {
            if (model.OutputWidth != saved.OutputWidth)
            {
                throw new ModelFormatException(jsonPath, $"the rebuilt model has {model.OutputWidth} outputs, the saved one {saved.OutputWidth}");
            }

            model.LoadWeights(weightsPath);
            if (saved.Compile is { } compile)
            {
                model.Compile(
                    Optimizer.FromConfig(compile.Optimizer, compile.OptimizerConfig),
                    Loss.FromName(compile.Loss),
                    compile.Metrics.Select(Metric.FromName).ToArray());
            }

            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Copies the tensors of a safetensors file into the model's parameters and buffers; names and shapes must match exactly.</summary>
    internal void LoadWeights(string path)
    {
        var (tensors, _) = SafeTensorsFile.Read(path);
        try
        {
            var expected = NamedTensors();
            var unexpected = tensors.Keys.Except(expected.Select(entry => entry.Name), StringComparer.Ordinal).ToList();
            if (unexpected.Count > 0)
            {
                throw new ModelFormatException(path, $"unexpected tensor(s) {string.Join(", ", unexpected.Select(name => $"'{name}'"))} that the model does not have");
            }

            using (no_grad())
            {
                foreach (var (name, target) in expected)
                {
                    if (!tensors.TryGetValue(name, out var source))
                    {
                        throw new ModelFormatException(path, $"tensor '{name}' is missing");
                    }

                    if (!source.shape.SequenceEqual(target.shape))
                    {
                        throw new ModelFormatException(path, $"tensor '{name}' has shape [{string.Join(", ", source.shape)}], but the model's is [{string.Join(", ", target.shape)}]");
                    }

                    if (source.dtype != target.dtype)
                    {
                        throw new ModelFormatException(path, $"tensor '{name}' is {source.dtype}, but the model's is {target.dtype}");
                    }

                    target.copy_(source);
                }
            }
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }
}
