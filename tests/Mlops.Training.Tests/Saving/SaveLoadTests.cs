using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Mlops.Training.Callbacks;
using Mlops.Training.Runtime;
using Mlops.Training.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Saving;

public sealed class SaveLoadTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlops-save").FullName;

    public SaveLoadTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_trained_model_round_trips_with_equal_predictions_and_compile_settings()
    {
        var (features, labels) = TestData.Separable(128);
        using var model = Sequential.Input(10).Dense(16, Activation.Relu).Dense(8, Activation.Leaky(0.1)).Dense(1, Activation.Sigmoid).Build(seed: 1)
            .Compile(Optimizer.Adam(0.005, amsgrad: true), Loss.BinaryCrossEntropy, Metric.Accuracy, Metric.AucWith(50));
        model.Fit(new ArrayDataset(features, labels).Batch(32), epochs: 2, verbose: Verbosity.Silent);

        model.Save(_folder);
        using var loaded = Model.Load(_folder);

        using var input = randn(20, 10);
        using var expected = model.Predict(input);
        using var actual = loaded.Predict(input);
        Assert.True(expected.eq(actual).all().item<bool>());
        Assert.Equal(model.Description!.Layers, loaded.Description!.Layers);
        Assert.Equal("adam", loaded.Optimizer!.Name);
        Assert.Equal(model.Optimizer!.Config, loaded.Optimizer.Config);
        Assert.Equal(Loss.BinaryCrossEntropy, loaded.Loss);
        Assert.Equal(["accuracy", "auc"], loaded.Metrics.Select(metric => metric.Name));
        Assert.Equal(model.Evaluate(new ArrayDataset(features, labels).Batch(32)), loaded.Evaluate(new ArrayDataset(features, labels).Batch(32)));
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
    }

    [Fact]
    public void Embeddings_batch_norm_and_float64_round_trip()
    {
        using var model = Sequential.Input(4, ScalarType.Float64).Embed(1, 6, 3).Dense(5).BatchNorm(0.9).Activate(Activation.Gelu).Dropout(0.2).Dense(2, Activation.Softmax).Build(seed: 3);
        using (no_grad())
        {
            model.NamedTensors().Single(entry => entry.Name == "2.running_mean").Tensor.fill_(0.5);
        }

        model.Save(_folder);
        using var loaded = Model.Load(_folder);

        Assert.Equal(ScalarType.Float64, loaded.ElementType);
        Assert.Null(loaded.Optimizer);
        using var input = tensor(new[] { 0.5, 5, -1, 2, 0.1, 0, 0.3, 0.7 }, [2, 4]);
        Assert.True(model.Predict(input).eq(loaded.Predict(input)).all().item<bool>());
        Assert.Equal(
            ["0.embeddings.0.weight", "1.bias", "1.weight", "2.bias", "2.num_batches_tracked", "2.running_mean", "2.running_var", "2.weight", "5.bias", "5.weight"],
            loaded.NamedTensors().Select(entry => entry.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_shared_embedding_model_round_trips()
    {
        using var model = Sequential.Input(4).Embedding(10, 3).Dense(2, Activation.Softmax).Build(seed: 4);
        model.Save(_folder);
        using var loaded = Model.Load(_folder);
        using var input = tensor(new float[] { 1, 2, 3, 9, 0, 0, 5, 4 }, [2, 4]);
        Assert.Equal(model.Description!.Layers, loaded.Description!.Layers);
        Assert.True(model.Predict(input).eq(loaded.Predict(input)).all().item<bool>());
    }

    [Fact]
    public void The_weights_file_follows_the_safetensors_layout()
    {
        using var model = Sequential.Input(3).Dense(2, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 2);
        model.Save(_folder);
        var bytes = File.ReadAllBytes(Path.Combine(_folder, "model.safetensors"));

        // Independent parse: u64 little-endian header length, JSON header, then the data.
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.StartsWith("{", header, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(header.TrimEnd(' '));
        var root = document.RootElement;
        Assert.Equal("pt", root.GetProperty("__metadata__").GetProperty("format").GetString());
        var data = bytes[(int)(8 + headerLength)..];
        var expected = new Dictionary<string, (long[] Shape, float[] Values)>
        {
            ["0.weight"] = ([2, 3], Values(model, "0.weight")),
            ["0.bias"] = ([2], Values(model, "0.bias")),
            ["2.weight"] = ([1, 2], Values(model, "2.weight")),
            ["2.bias"] = ([1], Values(model, "2.bias")),
        };
        long covered = 0;
        foreach (var entry in root.EnumerateObject().Where(entry => entry.Name != "__metadata__"))
        {
            var (shape, values) = expected[entry.Name];
            Assert.Equal("F32", entry.Value.GetProperty("dtype").GetString());
            Assert.Equal(shape, entry.Value.GetProperty("shape").EnumerateArray().Select(dimension => dimension.GetInt64()));
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(offset => offset.GetInt32()).ToArray();
            Assert.Equal(covered, offsets[0]);
            covered = offsets[1];
            var stored = Enumerable.Range(0, values.Length).Select(i => BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(offsets[0] + (4 * i)))).ToArray();
            Assert.Equal(values, stored);
        }

        Assert.Equal(4, root.EnumerateObject().Count(entry => entry.Name != "__metadata__"));
        Assert.Equal(data.Length, covered);
    }

    [Fact]
    public void A_truncated_weights_file_is_an_error_naming_the_file()
    {
        using var model = Sequential.Input(3).Dense(2).Build();
        model.Save(_folder);
        var path = Path.Combine(_folder, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);

        var error = Assert.Throws<ModelFormatException>(() => Model.Load(_folder));
        Assert.Equal(path, error.Path);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("fewer than the 8-byte header length", Assert.Throws<ModelFormatException>(() => Model.Load(_folder)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_header_and_a_wrong_shape_are_errors_saying_what_is_wrong()
    {
        using var model = Sequential.Input(3).Dense(2).Build();
        model.Save(_folder);
        var path = Path.Combine(_folder, "model.safetensors");

        var broken = "{\"0.weight\": {\"dtype\": \"F32\", ".PadRight(32);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)broken.Length), .. Encoding.UTF8.GetBytes(broken)]);
        Assert.Contains("the header is not valid JSON", Assert.Throws<ModelFormatException>(() => Model.Load(_folder)).Message, StringComparison.Ordinal);

        using (var other = Sequential.Input(4).Dense(2).Build())
        {
            other.Save(Path.Combine(_folder, "other"));
        }

        File.Copy(Path.Combine(_folder, "other", "model.safetensors"), path, overwrite: true);
        var mismatch = Assert.Throws<ModelFormatException>(() => Model.Load(_folder));
        Assert.Contains("tensor '0.weight' has shape [2, 4], but the model's is [2, 3]", mismatch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrapped_module_saves_its_own_names_and_loads_through_a_factory()
    {
        static nn.Module<Tensor, Tensor> Make() => nn.Sequential(("encoder", nn.Linear(4, 3)), ("act", nn.Tanh()), ("head", nn.Linear(3, 1)));
        using var model = Model.FromModule(Make(), 4);
        model.Save(_folder);

        Assert.Contains("\"kind\": \"module\"", File.ReadAllText(Path.Combine(_folder, "model.json")), StringComparison.Ordinal);
        Assert.Contains("pass a moduleFactory", Assert.Throws<ArgumentException>(() => Model.Load(_folder)).Message, StringComparison.Ordinal);
        using var loaded = Model.Load(_folder, Make);
        using var input = randn(3, 4);
        Assert.True(model.Predict(input).eq(loaded.Predict(input)).all().item<bool>());
        Assert.Equal(["encoder.weight", "encoder.bias", "head.weight", "head.bias"], loaded.NamedTensors().Select(entry => entry.Name));
    }

    [Fact]
    public void A_folder_without_a_model_is_an_error_naming_model_json()
    {
        var error = Assert.Throws<ModelFormatException>(() => Model.Load(_folder));
        Assert.EndsWith("model.json", error.Path, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_folder, "model.json"), "{\"format\": \"mlops-keras-model\", \"version\": 1, \"kind\": \"sequential\", \"input_width\": 3, \"output_width\": 1, \"element_type\": \"float32\", \"layers\": [{\"kind\": \"dense\", \"units\": 0, \"activation\": \"relu\", \"use_bias\": true}], \"weights\": \"model.safetensors\"}");
        Assert.Contains("invalid model description", Assert.Throws<ModelFormatException>(() => Model.Load(_folder)).Message, StringComparison.Ordinal);
    }

    private static float[] Values(Model model, string name) => model.NamedTensors().Single(entry => entry.Name == name).Tensor.reshape(-1).data<float>().ToArray();
}
