using System.Buffers.Binary;
using Google.Protobuf;
using Mlops.Training.Onnx.Proto;

namespace Mlops.Training.Onnx;

/// <summary>
/// Appends nodes and initializers to an ONNX <c>GraphProto</c> with generated value names, so the exporter reads as
/// the sequence of operators it emits. Initializers hold their values as little-endian <c>raw_data</c>.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private int _values;

    public GraphProto Graph { get; } = new();

    /// <summary>Adds a float32 initializer of the given shape.</summary>
    public string Floats(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        return Initializer(name, TensorProto.Types.DataType.Float, bytes, dims);
    }

    /// <summary>Adds an int64 initializer of the given shape (no dims: a scalar).</summary>
    public string Int64s(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }

        return Initializer(name, TensorProto.Types.DataType.Int64, bytes, dims);
    }

    /// <summary>Adds a node with one output, named after the node, and returns that output.</summary>
    public string Node(string opType, string name, string[] inputs, params AttributeProto[] attributes)
    {
        var output = $"{name}_out{_values++}";
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A float32 value of shape [batch, width] for the graph's inputs and outputs.</summary>
    public static ValueInfoProto Matrix(string name, string batchDimension, long width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batchDimension });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    // The array is ours and never changed after this, so the ByteString wraps it instead of copying.
    private string Initializer(string name, TensorProto.Types.DataType type, byte[] bytes, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(bytes) };
        tensor.Dims.AddRange(dims);
        Graph.Initializer.Add(tensor);
        return name;
    }
}
