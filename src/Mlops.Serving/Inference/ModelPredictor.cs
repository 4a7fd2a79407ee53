using System.Globalization;

namespace Mlops.Serving.Inference;

/// <summary>
/// Runs one served model in process, for apps that embed it: the same validation, batching, routing and reload as the
/// protocol's front ends, without the wire. Unsealed with virtual members so consumers can fake it in their tests.
/// </summary>
public class ModelPredictor
{
    private readonly InferenceService _service;

    /// <summary>A predictor for <paramref name="model"/> (a served model or traffic experiment) of <paramref name="service"/>.</summary>
    /// <param name="service">The service, such as the container's <see cref="InferenceService"/>.</param>
    /// <param name="model">The model's name.</param>
    public ModelPredictor(InferenceService service, string model)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        _service = service;
        Model = model;
    }

    /// <summary>For test doubles.</summary>
    protected ModelPredictor()
    {
        _service = null!;
        Model = string.Empty;
    }

    /// <summary>The model's name.</summary>
    public virtual string Model { get; }

    /// <summary>Runs a request.</summary>
    /// <exception cref="InferenceException">Every failure, with its kind.</exception>
    public virtual ValueTask<InferenceResponse> PredictAsync(InferenceRequest request, CancellationToken cancellationToken = default) =>
        _service.InferAsync(Model, null, request, null, cancellationToken);

    /// <summary>
    /// Runs rows of features through a model with one FP32 input (shape [-1, width] or [-1]) and returns its first
    /// output, one row per input row ([N] outputs give rows of one value).
    /// </summary>
    /// <exception cref="InferenceException">The model does not take one FP32 input, or the rows do not fit it (an invalid request).</exception>
    public virtual async ValueTask<float[][]> PredictAsync(float[][] rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var metadata = await _service.GetModelMetadataAsync(Model, null, cancellationToken).ConfigureAwait(false);
        if (metadata.Inputs.Count != 1 || metadata.Inputs[0].Datatype != TensorDataType.Fp32)
        {
            throw InferenceException.InvalidRequest(
                $"model '{Model}' takes {string.Join(", ", metadata.Inputs.Select(i => $"'{i.Name}' ({i.Datatype.ToProtocolName()})"))}, not one FP32 input; use PredictAsync(InferenceRequest).");
        }

        var width = rows.Length == 0 ? 0 : rows[0]?.Length ?? 0;
        var flat = new float[rows.Length * width];
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i] is null || rows[i].Length != width)
            {
                throw InferenceException.InvalidRequest(
                    $"row {i.ToString(CultureInfo.InvariantCulture)} has {rows[i]?.Length.ToString(CultureInfo.InvariantCulture) ?? "no"} values but row 0 has {width.ToString(CultureInfo.InvariantCulture)}.");
            }

            rows[i].CopyTo(flat, i * width);
        }

        var input = metadata.Inputs[0];
        IReadOnlyList<long> shape = input.Shape.Count == 1 && width == 1 ? [rows.Length] : [rows.Length, width];
        var response = await PredictAsync(new InferenceRequest([new InferenceTensor(input.Name, TensorDataType.Fp32, shape, flat)]), cancellationToken).ConfigureAwait(false);
        var output = response.Outputs[0];
        var values = output.Data as float[] ?? throw new InferenceException(InferenceErrorKind.ModelFailed,
            $"model '{Model}' gave output '{output.Name}' as {output.Datatype.ToProtocolName()}, not FP32; use PredictAsync(InferenceRequest).");
        var outputWidth = output.Shape.Count == 1 ? 1 : (int)output.Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var result = new float[rows.Length][];
        for (var i = 0; i < rows.Length; i++)
        {
            result[i] = values.AsSpan(i * outputWidth, outputWidth).ToArray();
        }

        return result;
    }
}
