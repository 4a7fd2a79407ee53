using Google.Protobuf;
using Mlops.Tracking.Models;
using Mlops.Training.Onnx;
using Mlops.Training.Onnx.Proto;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Onnx.Tests.Flavor;

/// <summary>Columns of several element types and ranks against a hand-built graph with three inputs and three outputs.</summary>
public sealed class MultiInputColumnsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    // a: float [n, 2], b: int64 [n], flag: bool [n] -> shifted = a + b (broadcast over a's columns), ids = b, negated = not flag.
    private static byte[] Graph()
    {
        var graph = new OnnxGraphBuilder();
        var axes = graph.Int64s("axes", [1], 1);
        var asFloat = graph.Node("Cast", "b_float", ["b"], OnnxGraphBuilder.Int("to", (long)TensorProto.Types.DataType.Float));
        var column = graph.Node("Unsqueeze", "b_column", [asFloat, axes]);
        graph.Graph.Node.Add(new NodeProto { OpType = "Add", Name = "shift", Input = { "a", column }, Output = { "shifted" } });
        graph.Graph.Node.Add(new NodeProto { OpType = "Identity", Name = "ids", Input = { "b" }, Output = { "ids" } });
        graph.Graph.Node.Add(new NodeProto { OpType = "Not", Name = "negate", Input = { "flag" }, Output = { "negated" } });
        graph.Graph.Input.Add(OnnxGraphBuilder.Matrix("a", "n", 2));
        graph.Graph.Input.Add(Vector("b", TensorProto.Types.DataType.Int64));
        graph.Graph.Input.Add(Vector("flag", TensorProto.Types.DataType.Bool));
        graph.Graph.Output.Add(OnnxGraphBuilder.Matrix("shifted", "n", 2));
        graph.Graph.Output.Add(Vector("ids", TensorProto.Types.DataType.Int64));
        graph.Graph.Output.Add(Vector("negated", TensorProto.Types.DataType.Bool));
        var model = new ModelProto { IrVersion = OnnxExporter.IrVersion, Graph = graph.Graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = OnnxExporter.OpsetVersion } } };
        return model.ToByteArray();
    }

    private static ValueInfoProto Vector(string name, TensorProto.Types.DataType type) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "n" } } } } },
    };

    private LoadedOnnxModel Load(OnnxModel model)
    {
        var folder = _folder.Combine(Guid.NewGuid().ToString("N"));
        var flavor = new OnnxModelFlavor();
        var settings = flavor.SaveAsync(model, folder).GetAwaiter().GetResult();
        return (LoadedOnnxModel)flavor.LoadAsync(folder, new ModelManifest { Flavors = { ["onnx"] = settings } }).GetAwaiter().GetResult();
    }

    [Fact]
    public void Columns_of_each_rank_and_type_feed_their_inputs_and_outputs_come_back_as_columns()
    {
        var onnx = OnnxModel.FromBytes(Graph());
        Assert.Equal(["a", "b", "flag"], onnx.Inputs.Select(i => i.Name));
        Assert.Equal(["float32", "int64", "bool"], onnx.Inputs.Select(i => i.DType));
        Assert.Equal([-1L], onnx.Inputs[1].Shape);
        Assert.Equal("int64", onnx.Signature.Outputs![1].DType);

        using var loaded = Load(onnx);
        var output = loaded.Predict(new Dictionary<string, Array>
        {
            ["a"] = new[] { new[] { 1f, 2f }, new[] { 3f, 4f }, new[] { 5f, 6f } },
            ["b"] = new[] { 10, 20, 30 }, // int widened to the graph's int64
            ["flag"] = new[] { true, false, true },
        });
        Assert.Equal([11f, 12f], ((float[][])output["shifted"])[0]);
        Assert.Equal([35f, 36f], ((float[][])output["shifted"])[2]);
        Assert.Equal([10L, 20, 30], Assert.IsType<long[]>(output["ids"]));
        Assert.Equal([false, true, false], Assert.IsType<bool[]>(output["negated"]));

        var only = loaded.Predict(
            new Dictionary<string, Array> { ["a"] = new[] { new[] { 0f, 0f } }, ["b"] = new[] { 1L }, ["flag"] = new[] { false } },
            ["ids"]);
        Assert.Equal([1L], Assert.IsType<long[]>(Assert.Single(only).Value));
    }

    [Fact]
    public void Mismatched_columns_are_refused_naming_the_input()
    {
        using var loaded = Load(OnnxModel.FromBytes(Graph()));
        var rows = Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array>
        {
            ["a"] = new[] { new[] { 1f, 2f }, new[] { 3f, 4f } },
            ["b"] = new[] { 1L, 2L, 3L },
            ["flag"] = new[] { true, false },
        }));
        Assert.Contains("Input 'b' has 3 rows but 'a' has 2", rows.Message, StringComparison.Ordinal);

        var rank = Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array>
        {
            ["a"] = new[] { new[] { 1f, 2f } },
            ["b"] = new[] { new[] { 1L } },
            ["flag"] = new[] { true },
        }));
        Assert.Contains("Input 'b' is rank 1", rank.Message, StringComparison.Ordinal);

        var type = Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array>
        {
            ["a"] = new[] { new[] { 1f, 2f } },
            ["b"] = new[] { 1L },
            ["flag"] = new[] { 1 },
        }));
        Assert.Contains("Input 'flag' is a bool tensor", type.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array> { ["a"] = new[] { new[] { 1f, 2f } } }));
        Assert.Contains("'b', 'flag'", missing.Message, StringComparison.Ordinal);
    }
}
