using System.Globalization;
using System.Text;
using Mlops.Serving.Inference;

namespace Mlops.Serving.Models;

/// <summary>
/// A request checked against a model's inputs and turned into the predictor's columns: one array per input with one
/// element per row (the first dimension), vectors (<c>float[][]</c>) where an input has more dimensions.
/// </summary>
/// <param name="Columns">The predictor's input columns.</param>
/// <param name="Rows">The rows every column holds.</param>
/// <param name="Outputs">The output names asked for, or null for all.</param>
internal sealed record ValidatedRequest(IReadOnlyDictionary<string, Array> Columns, int Rows, IReadOnlyList<string>? Outputs);

/// <summary>
/// A model's inputs and outputs (from its signature) and the checks and conversions between protocol tensors and the
/// predictor's columns. Each request is checked alone, before it joins a batch, so one bad request fails alone.
/// </summary>
internal sealed class ModelSchema
{
    private readonly Dictionary<string, TensorMetadata> _inputs;

    public ModelSchema(string model, IReadOnlyList<TensorMetadata>? inputs, IReadOnlyList<TensorMetadata>? outputs)
    {
        Model = model;
        Inputs = inputs;
        Outputs = outputs;
        _inputs = (inputs ?? []).ToDictionary(i => i.Name, StringComparer.Ordinal);
    }

    /// <summary>The served model's name, for messages.</summary>
    public string Model { get; }

    /// <summary>The inputs the signature declares, or null for a model without one (then only the structure is checked).</summary>
    public IReadOnlyList<TensorMetadata>? Inputs { get; }

    /// <summary>The outputs the signature declares, or null.</summary>
    public IReadOnlyList<TensorMetadata>? Outputs { get; }

    /// <summary>Checks a request and converts its inputs to columns.</summary>
    /// <exception cref="InferenceException">An invalid request, naming the input and expected versus got.</exception>
    public ValidatedRequest Validate(InferenceRequest request, int maxRows)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Inputs.Count == 0)
        {
            throw InferenceException.InvalidRequest($"the request to model '{Model}' has no inputs; {ExpectedInputs()}.");
        }

        var columns = new Dictionary<string, Array>(request.Inputs.Count, StringComparer.Ordinal);
        string? firstName = null;
        var rows = -1;
        foreach (var tensor in request.Inputs)
        {
            if (columns.ContainsKey(tensor.Name))
            {
                throw InferenceException.InvalidRequest($"input '{tensor.Name}' appears twice in the request to model '{Model}'.");
            }

            TensorMetadata? spec = null;
            if (Inputs is not null)
            {
                if (!_inputs.TryGetValue(tensor.Name, out spec))
                {
                    throw InferenceException.InvalidRequest($"model '{Model}' has no input '{tensor.Name}'; {ExpectedInputs()}.");
                }

                CheckAgainst(spec, tensor);
            }
            else if (tensor.Shape.Count == 0)
            {
                throw InferenceException.InvalidRequest($"input '{tensor.Name}' of model '{Model}' is a scalar (shape []); the first dimension is the rows, so expected at least [N].");
            }

            var tensorRows = tensor.Shape[0];
            if (tensorRows < 1)
            {
                throw InferenceException.InvalidRequest($"input '{tensor.Name}' of model '{Model}' has 0 rows (shape {Format(tensor.Shape)}); expected at least one.");
            }

            if (tensorRows > maxRows)
            {
                throw InferenceException.InvalidRequest(
                    $"input '{tensor.Name}' of model '{Model}' has {tensorRows.ToString(CultureInfo.InvariantCulture)} rows; expected at most {maxRows.ToString(CultureInfo.InvariantCulture)} per request (MaxRowsPerRequest).");
            }

            if (rows >= 0 && tensorRows != rows)
            {
                throw InferenceException.InvalidRequest(
                    $"input '{tensor.Name}' of model '{Model}' has {tensorRows.ToString(CultureInfo.InvariantCulture)} rows but input '{firstName}' has {rows.ToString(CultureInfo.InvariantCulture)}; every input needs the same first dimension.");
            }

            rows = (int)tensorRows;
            firstName ??= tensor.Name;
            columns[tensor.Name] = ToColumn(tensor, rows, vector: (spec?.Shape ?? tensor.Shape).Count >= 2);
        }

        if (Inputs is not null)
        {
            foreach (var input in Inputs)
            {
                if (!columns.ContainsKey(input.Name))
                {
                    throw InferenceException.InvalidRequest(
                        $"input '{input.Name}' ({input.Datatype.ToProtocolName()} {Format(input.Shape)}) is missing from the request to model '{Model}'; {ExpectedInputs()}.");
                }
            }
        }

        List<string>? outputs = null;
        if (request.Outputs is { } requested)
        {
            outputs = new List<string>(requested.Count);
            foreach (var output in requested)
            {
                if (Outputs is not null && !Outputs.Any(o => o.Name == output.Name))
                {
                    throw InferenceException.InvalidRequest(
                        $"model '{Model}' has no output '{output.Name}'; its outputs are {string.Join(", ", Outputs.Select(o => $"'{o.Name}'"))}.");
                }

                outputs.Add(output.Name);
            }
        }

        return new ValidatedRequest(columns, rows, outputs);
    }

    /// <summary>Turns the predictor's output columns into the requested tensors.</summary>
    /// <exception cref="InferenceException">An output asked for that the model did not give (an invalid request, for models without declared outputs), or a column the protocol cannot carry (the model failed).</exception>
    public List<InferenceTensor> ToTensors(IReadOnlyDictionary<string, Array> columns, IReadOnlyList<string>? requested, int rows)
    {
        var names = requested ?? (IReadOnlyList<string>)(Outputs?.Select(o => o.Name).Where(columns.ContainsKey).ToList() ?? [.. columns.Keys]);
        var tensors = new List<InferenceTensor>(names.Count);
        foreach (var name in names)
        {
            if (!columns.TryGetValue(name, out var column))
            {
                throw InferenceException.InvalidRequest(
                    $"model '{Model}' gave no output '{name}'; its outputs are {string.Join(", ", columns.Keys.Select(k => $"'{k}'"))}.");
            }

            tensors.Add(ToTensor(name, column, rows));
        }

        return tensors;
    }

    /// <summary>A zero-valued request with one row, to warm a model up before it serves; null if an input's shape or type cannot be filled.</summary>
    public IReadOnlyDictionary<string, Array>? WarmUpColumns()
    {
        if (Inputs is null)
        {
            return null;
        }

        var columns = new Dictionary<string, Array>(StringComparer.Ordinal);
        foreach (var input in Inputs)
        {
            var shape = input.Shape.Select(d => d < 0 ? 1L : d).ToArray();
            var count = shape.Aggregate(1L, (a, b) => a * b);
            var type = input.Datatype.ElementType();
            var data = Array.CreateInstance(type, count);
            if (input.Datatype == TensorDataType.Bytes)
            {
                for (var i = 0; i < count; i++)
                {
                    data.SetValue(Array.Empty<byte>(), i);
                }
            }

            shape[0] = 1;
            columns[input.Name] = ToColumn(new InferenceTensor(input.Name, input.Datatype, shape, data), 1, vector: shape.Length >= 2);
        }

        return columns;
    }

    private void CheckAgainst(TensorMetadata spec, InferenceTensor tensor)
    {
        if (spec.Datatype != tensor.Datatype)
        {
            throw InferenceException.InvalidRequest(
                $"input '{tensor.Name}' of model '{Model}': expected datatype {spec.Datatype.ToProtocolName()}, got {tensor.Datatype.ToProtocolName()}.");
        }

        // A column (spec [-1]) also takes [N, 1], the form clients send for one feature per row.
        var shape = tensor.Shape;
        var fits = shape.Count == spec.Shape.Count
            ? spec.Shape.Select((d, i) => d < 0 || d == shape[i]).All(ok => ok)
            : spec.Shape.Count == 1 && shape.Count == 2 && shape[1] == 1;
        if (!fits || shape.Count == 0)
        {
            throw InferenceException.InvalidRequest(
                $"input '{tensor.Name}' of model '{Model}': expected shape {Format(spec.Shape)}, got {Format(shape)}.");
        }
    }

    private string ExpectedInputs() => Inputs is null
        ? "the model declares no inputs"
        : "its inputs are " + string.Join(", ", Inputs.Select(i => $"'{i.Name}' ({i.Datatype.ToProtocolName()} {Format(i.Shape)})"));

    internal static string Format(IReadOnlyList<long> shape) => "[" + string.Join(",", shape) + "]";

    // Rows first: [N] (or [N, 1]) becomes one element per row, anything wider a row vector of the remaining elements.
    private static Array ToColumn(InferenceTensor tensor, int rows, bool vector)
    {
        var data = tensor.Data;
        if (tensor.Datatype == TensorDataType.Bytes)
        {
            data = Array.ConvertAll((byte[][])data, b => Encoding.UTF8.GetString(b));
        }

        var width = (int)(data.LongLength / rows);
        if (!vector)
        {
            return data;
        }

        var element = data.GetType().GetElementType()!;
        var column = Array.CreateInstance(element.MakeArrayType(), rows);
        for (var r = 0; r < rows; r++)
        {
            var row = Array.CreateInstance(element, width);
            Array.Copy(data, (long)r * width, row, 0, width);
            column.SetValue(row, r);
        }

        return column;
    }

    // One value per row answers [rows], or the declared shape when the signature says each row is a one-element
    // tensor ([-1, 1], as the seed's sigmoid output and ONNX exports declare), so the answer matches the metadata.
    private long[] ScalarRowShape(string name, int rows)
    {
        var declared = Outputs?.FirstOrDefault(o => o.Name == name)?.Shape;
        if (declared is { Count: >= 2 } && declared.Skip(1).All(d => d == 1))
        {
            var shape = new long[declared.Count];
            Array.Fill(shape, 1L);
            shape[0] = rows;
            return shape;
        }

        return [rows];
    }

    private InferenceTensor ToTensor(string name, Array column, int rows)
    {
        if (column.Length != rows)
        {
            throw new InferenceException(InferenceErrorKind.ModelFailed,
                $"model '{Model}' gave {column.Length.ToString(CultureInfo.InvariantCulture)} rows of output '{name}' for {rows.ToString(CultureInfo.InvariantCulture)} input rows.");
        }

        var element = column.GetType().GetElementType()!;
        if (element == typeof(string))
        {
            return new InferenceTensor(name, TensorDataType.Bytes, [rows], Array.ConvertAll((string[])column, s => Encoding.UTF8.GetBytes(s ?? string.Empty)));
        }

        if (TensorDataTypes.TryFromElementType(element, out var type))
        {
            return new InferenceTensor(name, type, ScalarRowShape(name, rows), column);
        }

        var inner = element.GetElementType();
        if (element.IsArray && inner is not null && TensorDataTypes.TryFromElementType(inner, out type))
        {
            var width = rows == 0 ? 0 : ((Array)column.GetValue(0)!).Length;
            var flat = Array.CreateInstance(inner, (long)rows * width);
            for (var r = 0; r < rows; r++)
            {
                var row = (Array?)column.GetValue(r);
                if (row is null || row.Length != width)
                {
                    throw new InferenceException(InferenceErrorKind.ModelFailed,
                        $"model '{Model}' gave output '{name}' rows of different widths (row 0: {width.ToString(CultureInfo.InvariantCulture)}, row {r.ToString(CultureInfo.InvariantCulture)}: {row?.Length.ToString(CultureInfo.InvariantCulture) ?? "null"}).");
                }

                Array.Copy(row, 0, flat, (long)r * width, width);
            }

            return new InferenceTensor(name, type, [rows, width], flat);
        }

        throw new InferenceException(InferenceErrorKind.ModelFailed,
            $"model '{Model}' gave output '{name}' as {column.GetType().Name}, which the protocol cannot carry.");
    }
}
