using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mlops.Tracking.Models;

/// <summary>One input or output of a model signature: a named column (MLflow's ColSpec) or a tensor (TensorSpec).</summary>
/// <param name="Name">The column or tensor name (optional for tensors).</param>
/// <param name="Type">For columns: boolean, integer, long, float, double, string, binary, datetime; for tensors: "tensor".</param>
/// <param name="DType">For tensors: the numpy dtype, such as float32.</param>
/// <param name="Shape">For tensors: the shape, -1 for a variable dimension.</param>
public sealed record SignatureField(string? Name, string Type, string? DType = null, IReadOnlyList<long>? Shape = null)
{
    /// <summary>A named column of a scalar type.</summary>
    public static SignatureField Column(string name, string type) => new(name, type);

    /// <summary>A tensor with a dtype and shape.</summary>
    public static SignatureField Tensor(string? name, string dtype, params long[] shape) => new(name, "tensor", dtype, shape);

    internal JsonObject ToJson()
    {
        var json = new JsonObject();
        if (Type == "tensor")
        {
            json["type"] = "tensor";
            json["tensor-spec"] = new JsonObject { ["dtype"] = DType, ["shape"] = new JsonArray((Shape ?? []).Select(s => (JsonNode)s).ToArray()) };
        }
        else
        {
            json["type"] = Type;
        }

        if (Name is not null)
        {
            json["name"] = Name;
        }

        return json;
    }

    internal static SignatureField FromJson(JsonObject json)
    {
        var type = json["type"]?.GetValue<string>() ?? throw new JsonException("A signature field has no 'type'.");
        var name = json["name"]?.GetValue<string>();
        if (type == "tensor")
        {
            var spec = json["tensor-spec"]?.AsObject() ?? throw new JsonException("A tensor signature field has no 'tensor-spec'.");
            return new SignatureField(name, type, spec["dtype"]?.GetValue<string>(), spec["shape"]?.AsArray().Select(n => n!.GetValue<long>()).ToList());
        }

        return new SignatureField(name, type);
    }
}

/// <summary>What a model takes and gives (MLflow's ModelSignature), stored in the manifest as JSON strings like MLflow's.</summary>
/// <param name="Inputs">The inputs.</param>
/// <param name="Outputs">The outputs, if declared.</param>
public sealed record ModelSignature(IReadOnlyList<SignatureField> Inputs, IReadOnlyList<SignatureField>? Outputs = null)
{
    internal JsonObject ToJson()
    {
        var json = new JsonObject { ["inputs"] = Serialize(Inputs) };
        if (Outputs is not null)
        {
            json["outputs"] = Serialize(Outputs);
        }

        return json;
    }

    internal static ModelSignature FromJson(JsonObject json) =>
        new(Deserialize(json["inputs"]) ?? [], Deserialize(json["outputs"]));

    // MLflow keeps each side as a JSON string inside the MLmodel document.
    private static string Serialize(IReadOnlyList<SignatureField> fields) =>
        new JsonArray(fields.Select(f => (JsonNode)f.ToJson()).ToArray()).ToJsonString();

    private static List<SignatureField>? Deserialize(JsonNode? node) => node is null
        ? null
        : JsonNode.Parse(node.GetValue<string>())!.AsArray().Select(n => SignatureField.FromJson(n!.AsObject())).ToList();
}
