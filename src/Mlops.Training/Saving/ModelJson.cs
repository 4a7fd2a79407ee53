using System.Globalization;
using System.Text.Json;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// <c>model.json</c>: the architecture (input width, element type, layers with their settings, or a marker for a
/// wrapped TorchSharp module), the compile settings (optimizer and its hyper-parameters, loss, metrics) and the weights
/// file's name. Layers are written as <c>{"kind": "dense", "units": 64, "activation": "relu", "use_bias": true}</c>,
/// <c>{"kind": "dropout", "rate": 0.5}</c>, <c>{"kind": "batch_norm", "momentum": 0.99, "epsilon": 0.001}</c>,
/// <c>{"kind": "embed", "column": 0, "vocabulary_size": 1000, "dimension": 16}</c>,
/// <c>{"kind": "embedding", "vocabulary_size": 1000, "dimension": 8}</c>, <c>{"kind": "activation", "activation": "tanh"}</c>; leaky ReLU adds <c>"negative_slope"</c>.
/// </summary>
internal static class ModelJson
{
    public const string Format = "mlops-keras-model";
    public const int Version = 1;
    public const string FileName = "model.json";
    public const string WeightsFileName = "model.safetensors";

    public static byte[] Write(Model model)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("version", Version);
            json.WriteString("kind", model.Description is null ? "module" : "sequential");
            json.WriteNumber("input_width", model.InputWidth);
            json.WriteNumber("output_width", model.OutputWidth);
            json.WriteString("element_type", model.ElementType == ScalarType.Float64 ? "float64" : "float32");
            json.WriteNumber("parameter_count", model.ParameterCount);
            if (model.Description is { } description)
            {
                json.WriteStartArray("layers");
                foreach (var layer in description.Layers)
                {
                    WriteLayer(json, layer);
                }

                json.WriteEndArray();
            }

            if (model.Optimizer is { } optimizer && model.Loss is { } loss)
            {
                json.WriteStartObject("compile");
                json.WriteStartObject("optimizer");
                json.WriteString("name", optimizer.Name);
                json.WriteStartObject("config");
                foreach (var (key, value) in optimizer.Config)
                {
                    json.WriteNumber(key, value);
                }

                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteString("loss", loss.Name);
                json.WriteStartArray("metrics");
                foreach (var metric in model.Metrics)
                {
                    json.WriteStringValue(metric.ConfigName);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteString("weights", WeightsFileName);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static SavedModel Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new ModelFormatException(path, "no model.json: the folder does not hold a saved model", ex);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (String(root, "format") != Format)
            {
                throw new ModelFormatException(path, $"not a saved model (\"format\" is not \"{Format}\")");
            }

            var version = Int(root, "version");
            if (version != Version)
            {
                throw new ModelFormatException(path, $"format version {version} is not supported (this library reads version {Version})");
            }

            var elementType = String(root, "element_type") switch
            {
                "float32" => ScalarType.Float32,
                "float64" => ScalarType.Float64,
                var other => throw new ModelFormatException(path, $"unknown element_type '{other}'"),
            };
            var inputWidth = Int(root, "input_width");
            var kind = String(root, "kind");
            Sequential? description = null;
            if (kind == "sequential")
            {
                var layers = root.GetProperty("layers").EnumerateArray().Select((layer, index) => ReadLayer(layer, index)).ToList();
                description = Sequential.FromLayers(inputWidth, elementType, layers);
            }
            else if (kind != "module")
            {
                throw new ModelFormatException(path, $"unknown kind '{kind}' (expected sequential or module)");
            }

            CompileSettings? compile = null;
            if (root.TryGetProperty("compile", out var compileElement))
            {
                var optimizerElement = compileElement.GetProperty("optimizer");
                var config = optimizerElement.GetProperty("config").EnumerateObject().ToDictionary(entry => entry.Name, entry => entry.Value.GetDouble(), StringComparer.Ordinal);
                compile = new CompileSettings(
                    String(optimizerElement, "name"),
                    config,
                    String(compileElement, "loss"),
                    compileElement.GetProperty("metrics").EnumerateArray().Select(metric => metric.GetString()!).ToList());
            }

            return new SavedModel(kind, inputWidth, Int(root, "output_width"), elementType, description, compile, String(root, "weights"));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new ModelFormatException(path, $"invalid model description: {ex.Message}", ex);
        }
    }

    private static void WriteLayer(Utf8JsonWriter json, Layer layer)
    {
        json.WriteStartObject();
        json.WriteString("kind", layer.Kind);
        switch (layer)
        {
            case DenseLayer dense:
                json.WriteNumber("units", dense.Units);
                WriteActivation(json, dense.Activation);
                json.WriteBoolean("use_bias", dense.UseBias);
                break;
            case ActivationLayer activation:
                WriteActivation(json, activation.Activation);
                break;
            case DropoutLayer dropout:
                json.WriteNumber("rate", dropout.Rate);
                break;
            case BatchNormLayer norm:
                json.WriteNumber("momentum", norm.Momentum);
                json.WriteNumber("epsilon", norm.Epsilon);
                break;
            case EmbeddingLayer embedding:
                json.WriteNumber("vocabulary_size", embedding.VocabularySize);
                json.WriteNumber("dimension", embedding.Dimension);
                break;
            case EmbedLayer embed:
                json.WriteNumber("column", embed.Column);
                json.WriteNumber("vocabulary_size", embed.VocabularySize);
                json.WriteNumber("dimension", embed.Dimension);
                break;
        }

        json.WriteEndObject();
    }

    private static void WriteActivation(Utf8JsonWriter json, Activation activation)
    {
        json.WriteString("activation", activation.Name);
        if (activation.Name == "leaky_relu")
        {
            json.WriteNumber("negative_slope", activation.NegativeSlope);
        }
    }

    private static Layer ReadLayer(JsonElement layer, int index)
    {
        try
        {
            return String(layer, "kind") switch
            {
                "dense" => new DenseLayer(Int(layer, "units"), ReadActivation(layer), layer.GetProperty("use_bias").GetBoolean()),
                "activation" => new ActivationLayer(ReadActivation(layer)),
                "dropout" => new DropoutLayer(layer.GetProperty("rate").GetDouble()),
                "batch_norm" => new BatchNormLayer(layer.GetProperty("momentum").GetDouble(), layer.GetProperty("epsilon").GetDouble()),
                "embedding" => new EmbeddingLayer(Int(layer, "vocabulary_size"), Int(layer, "dimension")),
                "embed" => new EmbedLayer(Int(layer, "column"), Int(layer, "vocabulary_size"), Int(layer, "dimension")),
                var other => throw new FormatException($"unknown kind '{other}'"),
            };
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"layer {index}: {ex.Message}", ex);
        }
    }

    private static Activation ReadActivation(JsonElement layer)
    {
        var name = String(layer, "activation");
        return Activation.FromName(name, layer.TryGetProperty("negative_slope", out var slope) ? slope.GetDouble() : 0.2);
    }

    private static string String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"\"{name}\" is missing or not a string");

    private static int Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.TryGetInt32(out var number)
            ? number
            : throw new FormatException($"\"{name}\" is missing or not an integer");

    /// <summary>What <c>model.json</c> says.</summary>
    internal sealed record SavedModel(string Kind, int InputWidth, int OutputWidth, ScalarType ElementType, Sequential? Description, CompileSettings? Compile, string WeightsFile);

    /// <summary>The compile settings saved with a model.</summary>
    internal sealed record CompileSettings(string Optimizer, IReadOnlyDictionary<string, double> OptimizerConfig, string Loss, IReadOnlyList<string> Metrics)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Optimizer}, {Loss}, [{string.Join(", ", Metrics)}]");
    }
}
