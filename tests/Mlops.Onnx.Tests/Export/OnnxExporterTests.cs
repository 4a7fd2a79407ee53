using Microsoft.ML.OnnxRuntime;
using Mlops.Training;
using Mlops.Training.Onnx;
using static TorchSharp.torch;

namespace Mlops.Onnx.Tests.Export;

public sealed class OnnxExporterTests
{
    public static TheoryData<string> LayerKinds => new(Models.Keys);

    private static readonly Dictionary<string, (Sequential Model, IReadOnlyDictionary<int, int>? Ids)> Models = new()
    {
        ["dense"] = (Sequential.Input(5).Dense(4), null),
        ["dense_without_bias"] = (Sequential.Input(5).Dense(4, useBias: false), null),
        ["dense_relu"] = (Sequential.Input(5).Dense(4, Activation.Relu), null),
        ["dense_sigmoid"] = (Sequential.Input(5).Dense(3, Activation.Sigmoid), null),
        ["dense_tanh"] = (Sequential.Input(5).Dense(3, Activation.Tanh), null),
        ["dense_softmax"] = (Sequential.Input(5).Dense(6, Activation.Softmax), null),
        ["dense_gelu"] = (Sequential.Input(5).Dense(6, Activation.Gelu), null),
        ["dense_leaky_relu"] = (Sequential.Input(5).Dense(6, Activation.LeakyRelu), null),
        ["activation_leaky_0.05"] = (Sequential.Input(5).Dense(4).Activate(Activation.Leaky(0.05)), null),
        ["activation_linear"] = (Sequential.Input(5).Activate(Activation.Linear), null),
        ["activation_gelu"] = (Sequential.Input(5).Activate(Activation.Gelu), null),
        ["dropout"] = (Sequential.Input(5).Dropout(0.5).Dense(2), null),
        ["batch_norm"] = (Sequential.Input(5).BatchNorm(epsilon: 0.01).Dense(2), null),
        ["embedding"] = (Sequential.Input(4).Embedding(7, 3).Dense(2, Activation.Tanh), new Dictionary<int, int> { [0] = 7, [1] = 7, [2] = 7, [3] = 7 }),
        ["embed_columns"] = (Sequential.Input(6).Embed(3, 4, 3).Embed(1, 5, 2).Dense(4, Activation.Relu), new Dictionary<int, int> { [1] = 5, [3] = 4 }),
        ["embed_every_column"] = (Sequential.Input(2).Embed(0, 3, 2).Embed(1, 4, 2), new Dictionary<int, int> { [0] = 3, [1] = 4 }),
    };

    [Theory]
    [MemberData(nameof(LayerKinds))]
    public void Each_layer_kind_runs_on_onnx_runtime_as_torchsharp_does_in_eval_mode(string kind)
    {
        var (description, ids) = Models[kind];
        using var model = OnnxTestModels.Build(description);
        var inputs = OnnxTestModels.Inputs(37, description.InputWidth, idColumns: ids);
        OnnxTestModels.AssertClose(model.Predict(inputs), OnnxTestModels.RunOnnx(OnnxExporter.ToBytes(model), inputs));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    public void The_seed_like_model_matches_torchsharp_for_any_batch_size(int rows)
    {
        using var model = OnnxTestModels.Build(OnnxTestModels.SeedLike);
        var onnx = OnnxExporter.ToBytes(model);
        var inputs = OnnxTestModels.Inputs(rows, 42, seed: rows);
        OnnxTestModels.AssertClose(model.Predict(inputs), OnnxTestModels.RunOnnx(onnx, inputs));
    }

    [Fact]
    public void The_graph_has_a_dynamic_batch_dimension_and_the_names_asked_for()
    {
        using var model = OnnxTestModels.Build(OnnxTestModels.SeedLike);
        var path = Path.Combine(Path.GetTempPath(), $"mlops-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            model.ExportOnnx(path, new OnnxExportOptions { InputName = "features", OutputName = "score", BatchDimension = "n" });
            using var session = new InferenceSession(path);
            var input = Assert.Single(session.InputMetadata);
            Assert.Equal("features", input.Key);
            Assert.Equal(typeof(float), input.Value.ElementType);
            Assert.Equal([-1, 42], input.Value.Dimensions);
            Assert.Equal("n", input.Value.SymbolicDimensions[0]);
            var output = Assert.Single(session.OutputMetadata);
            Assert.Equal("score", output.Key);
            Assert.Equal([-1, 1], output.Value.Dimensions);
            Assert.Equal("Mlops.Training", session.ModelMetadata.ProducerName);
            var rows = OnnxTestModels.Inputs(3, 42);
            OnnxTestModels.AssertClose(model.Predict(rows), OnnxTestModels.RunOnnx(File.ReadAllBytes(path), rows, "features", "score"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Export_to_a_stream_writes_the_same_bytes()
    {
        using var model = OnnxTestModels.Build(OnnxTestModels.SeedLike);
        using var stream = new MemoryStream();
        OnnxExporter.Export(model, stream);
        Assert.Equal(OnnxExporter.ToBytes(model), stream.ToArray());
    }

    [Fact]
    public void An_id_outside_the_vocabulary_fails_the_run_instead_of_reading_another_row()
    {
        using var model = OnnxTestModels.Build(Sequential.Input(2).Embed(0, 3, 2).Dense(1));
        var onnx = OnnxExporter.ToBytes(model);
        Assert.Throws<OnnxRuntimeException>(() => OnnxTestModels.RunOnnx(onnx, [[3f, 0.5f]]));
        // ONNX Gather would count -1 from the end; the graph maps negative ids out of range instead.
        Assert.Throws<OnnxRuntimeException>(() => OnnxTestModels.RunOnnx(onnx, [[-1f, 0.5f]]));
    }

    [Fact]
    public void Models_without_an_onnx_form_are_refused_with_the_reason()
    {
        using var module = Model.FromModule(nn.Linear(3, 2), 3);
        var fromModule = Assert.Throws<NotSupportedException>(() => OnnxExporter.ToBytes(module));
        Assert.Contains("FromModule", fromModule.Message, StringComparison.Ordinal);
        Assert.Contains("Linear", fromModule.Message, StringComparison.Ordinal);

        using var doubles = Sequential.Input(3, ScalarType.Float64).Dense(1).Build(1);
        Assert.Contains("Float64", Assert.Throws<NotSupportedException>(() => OnnxExporter.ToBytes(doubles)).Message, StringComparison.Ordinal);

        using var model = Sequential.Input(3).Dense(1).Build(1);
        Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(model, new OnnxExportOptions { InputName = "x", OutputName = "x" }));
        Assert.Throws<ArgumentException>(() => OnnxExporter.ToBytes(model, new OnnxExportOptions { BatchDimension = " " }));
    }
}
