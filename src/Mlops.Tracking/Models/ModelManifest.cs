using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mlops.Tracking.Models;

/// <summary>
/// A model's manifest, MLflow's <c>MLmodel</c> file: the flavors it can be loaded as (each with its own settings),
/// its signature, the run and path it was logged under, and an optional input example. Written as JSON, which is
/// also valid YAML, so MLflow's Python client reads it.
/// </summary>
public sealed class ModelManifest
{
    /// <summary>The manifest's file name inside a model folder.</summary>
    public const string FileName = "MLmodel";

    /// <summary>The artifact path the model was logged under in its run.</summary>
    public string? ArtifactPath { get; init; }

    /// <summary>The run that logged it.</summary>
    public string? RunId { get; init; }

    /// <summary>A unique id of the model.</summary>
    public string ModelUuid { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>When it was created (UTC).</summary>
    public DateTimeOffset UtcTimeCreated { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Flavor name → its settings (file names, library versions).</summary>
    public Dictionary<string, JsonObject> Flavors { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The signature, if known.</summary>
    public ModelSignature? Signature { get; init; }

    /// <summary>The file of the saved input example, relative to the model folder, if one was saved.</summary>
    public string? InputExamplePath { get; init; }

    /// <summary>Serialises the manifest.</summary>
    public string ToJson()
    {
        var flavors = new JsonObject();
        foreach (var (name, settings) in Flavors)
        {
            flavors[name] = settings.DeepClone();
        }

        var json = new JsonObject
        {
            ["artifact_path"] = ArtifactPath,
            ["run_id"] = RunId,
            ["model_uuid"] = ModelUuid,
            ["utc_time_created"] = UtcTimeCreated.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
            ["flavors"] = flavors,
        };
        if (Signature is not null)
        {
            json["signature"] = Signature.ToJson();
        }

        if (InputExamplePath is not null)
        {
            json["saved_input_example_info"] = new JsonObject { ["artifact_path"] = InputExamplePath, ["type"] = "json_object" };
        }

        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// Parses an MLmodel manifest: the JSON form <see cref="ToJson"/> writes, or the block YAML MLflow's Python client
    /// writes (so models logged from Python load here).
    /// </summary>
    /// <exception cref="DataFormatException">The text is not such a manifest; the message names the source.</exception>
    public static ModelManifest Parse(string text, string source)
    {
        try
        {
            var json = text.AsSpan().TrimStart().StartsWith("{", StringComparison.Ordinal)
                ? JsonNode.Parse(text)?.AsObject() ?? throw new JsonException("The manifest is empty.")
                : ManifestYaml.Parse(text);
            var flavors = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
            foreach (var (name, settings) in json["flavors"]?.AsObject() ?? [])
            {
                flavors[name] = settings?.AsObject().DeepClone().AsObject() ?? [];
            }

            var created = Text(json["utc_time_created"]);
            return new ModelManifest
            {
                ArtifactPath = Text(json["artifact_path"]),
                RunId = Text(json["run_id"]),
                ModelUuid = Text(json["model_uuid"]) ?? "",
                UtcTimeCreated = created is null ? default : DateTimeOffset.Parse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                Flavors = flavors,
                Signature = json["signature"] is JsonObject signature ? ModelSignature.FromJson(signature) : null,
                InputExamplePath = Text(json["saved_input_example_info"]?["artifact_path"]),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new DataFormatException(
                $"not an MLmodel manifest (JSON or MLflow's YAML): {e.Message}",
                source, innerException: e);
        }
    }

    // A scalar as text: YAML manifests may carry a plain scalar that reads as a number.
    private static string? Text(JsonNode? node) => node is JsonValue value
        ? value.TryGetValue<string>(out var text) ? text : value.ToJsonString()
        : node is null ? null : throw new JsonException($"expected a text value, got {node.GetValueKind()}.");
}
