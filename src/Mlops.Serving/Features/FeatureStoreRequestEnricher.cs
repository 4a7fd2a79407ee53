using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mlops.Features.FeatureStore;
using Mlops.Serving.Inference;

namespace Mlops.Serving.Features;

/// <summary>
/// The feature store's side of the serving seam: for a model with <see cref="ServedModelOptions.OnlineFeatures"/>, reads
/// the entity ids from the request, looks the features up online (one call per request, TTL enforced on read), and
/// adds them as model inputs. Requests of other models pass through unchanged. Registered by <c>AddServing</c>; the
/// <see cref="FeatureStoreClient"/> comes from the container (<c>.AddFeatureStore()</c>).
/// </summary>
internal sealed class FeatureStoreRequestEnricher(IOptions<ServingOptions> options, IServiceProvider services) : IInferenceRequestEnricher
{
    public async ValueTask<InferenceRequest> EnrichAsync(string model, InferenceRequest request, CancellationToken cancellationToken)
    {
        if (!options.Value.Models.TryGetValue(model, out var served) || served.OnlineFeatures is not { } spec)
        {
            return request;
        }

        var client = services.GetService<FeatureStoreClient>() ?? throw new InferenceException(
            InferenceErrorKind.ModelFailed,
            $"model '{model}' takes online features, but no feature store is registered: call .AddFeatureStore() (and an online store) on the Mlops builder.");
        var (entities, rows) = Entities(model, request, spec);
        OnlineFeaturesResponse online;
        try
        {
            online = await client.GetOnlineFeaturesAsync(entities, spec.Features, fullFeatureNames: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or MlopsException && e is not InferenceException)
        {
            throw InferenceException.InvalidRequest($"model '{model}': the online features could not be read for this request: {e.Message}");
        }

        var inputs = new List<InferenceTensor>(request.Inputs.Count + spec.Features.Count);
        inputs.AddRange(spec.KeepEntityInputs ? request.Inputs : request.Inputs.Where(i => !spec.EntityInputs.Contains(i.Name)));
        var names = spec.Features.Select(f => f[(f.IndexOf(':', StringComparison.Ordinal) + 1)..]).ToArray();
        if (spec.VectorInput is { } vector)
        {
            inputs.Add(Assemble(model, vector, online, names, rows, spec, entities));
        }
        else
        {
            foreach (var name in names)
            {
                inputs.Add(Column(model, name, online[name], rows, spec, entities));
            }
        }

        return new InferenceRequest(inputs, request.Id, request.Outputs, request.Parameters);
    }

    private static (Dictionary<string, IReadOnlyList<object?>> Entities, int Rows) Entities(string model, InferenceRequest request, OnlineFeatureInputs spec)
    {
        var entities = new Dictionary<string, IReadOnlyList<object?>>(StringComparer.Ordinal);
        var rows = -1;
        foreach (var name in spec.EntityInputs)
        {
            var tensor = request.Inputs.FirstOrDefault(i => i.Name == name)
                ?? throw InferenceException.InvalidRequest($"model '{model}' looks up online features by '{name}', but the request has no input '{name}'.");
            if (tensor.Shape.Count != 1 && !(tensor.Shape.Count == 2 && tensor.Shape[1] == 1))
            {
                throw InferenceException.InvalidRequest($"input '{name}' holds entity ids, one per row: expected shape [N] or [N, 1], got [{string.Join(",", tensor.Shape)}].");
            }

            object?[] values = tensor.Datatype switch
            {
                TensorDataType.Int64 => tensor.GetData<long>().Select(v => (object?)v).ToArray(),
                TensorDataType.Int32 => tensor.GetData<int>().Select(v => (object?)(long)v).ToArray(),
                TensorDataType.Bytes => tensor.GetData<byte[]>().Select(v => (object?)Encoding.UTF8.GetString(v)).ToArray(),
                _ => throw InferenceException.InvalidRequest($"input '{name}' holds entity ids: expected INT64, INT32 or BYTES, got {tensor.Datatype.ToProtocolName()}."),
            };
            if (rows >= 0 && values.Length != rows)
            {
                throw InferenceException.InvalidRequest($"entity inputs have different row counts: '{name}' has {values.Length}, the first had {rows}.");
            }

            rows = values.Length;
            entities[name] = values;
        }

        return (entities, Math.Max(rows, 0));
    }

    private static InferenceTensor Assemble(string model, string input, OnlineFeaturesResponse online, string[] names, int rows, OnlineFeatureInputs spec, Dictionary<string, IReadOnlyList<object?>> entities)
    {
        var widths = new int[names.Length];
        for (var f = 0; f < names.Length; f++)
        {
            var column = online[names[f]];
            widths[f] = 1;
            for (var r = 0; r < rows; r++)
            {
                if (column.Values[r] is Array vector)
                {
                    widths[f] = vector.Length;
                    break;
                }
            }
        }

        var width = widths.Sum();
        var data = new float[rows * width];
        var offset = 0;
        for (var f = 0; f < names.Length; f++)
        {
            var column = online[names[f]];
            for (var r = 0; r < rows; r++)
            {
                var value = Present(model, names[f], column, r, spec, entities);
                var target = (r * width) + offset;
                switch (value)
                {
                    case Array vector when vector.Length == widths[f]:
                        for (var i = 0; i < vector.Length; i++)
                        {
                            data[target + i] = Convert.ToSingle(vector.GetValue(i), CultureInfo.InvariantCulture);
                        }

                        break;
                    case Array vector:
                        throw InferenceException.InvalidRequest($"feature '{names[f]}' for {Row(entities, r)} has {vector.Length} values; other rows have {widths[f]}.");
                    case null:
                        data.AsSpan(target, widths[f]).Fill((float)spec.MissingValue!.Value);
                        break;
                    default:
                        data[target] = Number(model, names[f], value);
                        break;
                }
            }

            offset += widths[f];
        }

        return new InferenceTensor(input, TensorDataType.Fp32, [rows, width], data);
    }

    private static InferenceTensor Column(string model, string name, OnlineFeatureVector column, int rows, OnlineFeatureInputs spec, Dictionary<string, IReadOnlyList<object?>> entities)
    {
        var values = Enumerable.Range(0, rows).Select(r => Present(model, name, column, r, spec, entities) ?? spec.MissingValue).ToArray();
        var sample = values.FirstOrDefault(v => v is not null);
        return sample switch
        {
            long or int => new InferenceTensor(name, TensorDataType.Int64, [rows], values.Select(v => Convert.ToInt64(v, CultureInfo.InvariantCulture)).ToArray()),
            bool => new InferenceTensor(name, TensorDataType.Bool, [rows], values.Select(v => v is true).ToArray()),
            string => new InferenceTensor(name, TensorDataType.Bytes, [rows], values.Select(v => Encoding.UTF8.GetBytes(v as string ?? string.Empty)).ToArray()),
            float => new InferenceTensor(name, TensorDataType.Fp32, [rows], values.Select(v => Convert.ToSingle(v, CultureInfo.InvariantCulture)).ToArray()),
            _ => new InferenceTensor(name, TensorDataType.Fp64, [rows], values.Select(v => Convert.ToDouble(v, CultureInfo.InvariantCulture)).ToArray()),
        };
    }

    // The row's value when PRESENT; null where the options give a missing value; else the request fails naming the row.
    private static object? Present(string model, string name, OnlineFeatureVector column, int row, OnlineFeatureInputs spec, Dictionary<string, IReadOnlyList<object?>> entities)
    {
        if (column.Statuses[row] == FeatureStatus.Present && column.Values[row] is { } value)
        {
            return value;
        }

        if (spec.MissingValue is not null)
        {
            return null;
        }

        throw InferenceException.InvalidRequest(
            $"model '{model}': feature '{name}' is {Status(column.Statuses[row])} for {Row(entities, row)}; set OnlineFeatures.MissingValue to serve such rows with a default.");
    }

    private static float Number(string model, string name, object value) => value switch
    {
        float f => f,
        double d => (float)d,
        long l => l,
        int i => i,
        bool b => b ? 1f : 0f,
        _ => throw new InferenceException(InferenceErrorKind.ModelFailed, $"model '{model}': feature '{name}' is {value.GetType().Name}, which cannot be assembled into a numeric vector."),
    };

    private static string Row(Dictionary<string, IReadOnlyList<object?>> entities, int row) =>
        string.Join(", ", entities.Select(e => $"{e.Key}={e.Value[row]}"));

    private static string Status(FeatureStatus status) => status switch
    {
        FeatureStatus.NotFound => "NOT_FOUND",
        FeatureStatus.NullValue => "NULL_VALUE",
        FeatureStatus.OutsideMaxAge => "OUTSIDE_MAX_AGE",
        _ => status.ToString().ToUpperInvariant(),
    };
}
