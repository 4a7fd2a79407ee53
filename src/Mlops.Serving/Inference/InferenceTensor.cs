namespace Mlops.Serving.Inference;

/// <summary>
/// One named tensor of an inference request or response: its data type, shape and elements, row-major, in a typed
/// array whose element type is <see cref="TensorDataTypes.ElementType"/> of the data type (<c>float[]</c> for FP32,
/// <c>byte[][]</c> for BYTES). The first dimension is the batch (rows) where the model takes a batch.
/// </summary>
public sealed class InferenceTensor
{
    /// <summary>Creates a tensor, checking that the array's element type matches the data type and that its length is the product of the shape.</summary>
    /// <exception cref="InferenceException">The data does not fit the data type or shape (an invalid request).</exception>
    public InferenceTensor(string name, TensorDataType datatype, IReadOnlyList<long> shape, Array data, IReadOnlyDictionary<string, object?>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (data.GetType().GetElementType() != datatype.ElementType() || data.Rank != 1)
        {
            throw InferenceException.InvalidRequest(
                $"tensor '{name}' has datatype {datatype.ToProtocolName()} but its data is {data.GetType().Name}; expected {datatype.ElementType().Name}[].");
        }

        long count = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                throw InferenceException.InvalidRequest($"tensor '{name}' has a negative dimension in shape [{string.Join(",", shape)}].");
            }

            count = checked(count * dimension);
        }

        if (count != data.LongLength)
        {
            throw InferenceException.InvalidRequest(
                $"tensor '{name}' has shape [{string.Join(",", shape)}] ({count} elements) but {data.LongLength} data elements.");
        }

        Name = name;
        Datatype = datatype;
        Shape = shape;
        Data = data;
        Parameters = parameters;
    }

    /// <summary>The tensor's name (a model input or output name).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public TensorDataType Datatype { get; }

    /// <summary>The shape; every dimension is known (no -1) in a request or response.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The elements, row-major, in a typed one-dimensional array.</summary>
    public Array Data { get; }

    /// <summary>The tensor's parameters (protocol <c>parameters</c>: bool, long, double or string values), or null.</summary>
    public IReadOnlyDictionary<string, object?>? Parameters { get; }

    /// <summary>Creates a tensor from a typed array, the data type inferred from <typeparamref name="T"/>.</summary>
    public static InferenceTensor Create<T>(string name, IReadOnlyList<long> shape, T[] data, IReadOnlyDictionary<string, object?>? parameters = null)
    {
        if (!TensorDataTypes.TryFromElementType(typeof(T), out var type))
        {
            throw new ArgumentException($"{typeof(T).Name} is not an Open Inference Protocol element type.", nameof(data));
        }

        return new InferenceTensor(name, type, shape, data, parameters);
    }

    /// <summary>The elements as a typed array; throws if <typeparamref name="T"/> is not the element type.</summary>
    public T[] GetData<T>() => Data as T[]
        ?? throw new InvalidOperationException($"Tensor '{Name}' holds {Datatype.ToProtocolName()} ({Datatype.ElementType().Name}), not {typeof(T).Name}.");
}
