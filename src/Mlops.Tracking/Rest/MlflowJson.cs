using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Tracking.Registry;

namespace Mlops.Tracking.Rest;

/// <summary>
/// MLflow's REST API 2.0 JSON shapes (protobuf JSON: snake_case fields, empty fields omitted, int64 as numbers,
/// NaN/Infinity as strings), shared by the REST store (client) and the server so both ends agree by construction.
/// Reading is lenient where MLflow's clients differ (int64 as numbers or strings).
/// </summary>
internal static class MlflowJson
{
    public static JsonObject Experiment(Experiment e) => new()
    {
        ["experiment_id"] = e.ExperimentId,
        ["name"] = e.Name,
        ["artifact_location"] = e.ArtifactLocation,
        ["lifecycle_stage"] = e.LifecycleStage.ToMlflow(),
        ["last_update_time"] = e.LastUpdateTime,
        ["creation_time"] = e.CreationTime,
        ["tags"] = Tags(e.Tags),
    };

    public static Experiment ReadExperiment(JsonNode node) => new(
        Str(node, "experiment_id")!,
        Str(node, "name") ?? "",
        Str(node, "artifact_location") ?? "",
        TrackingNames.ParseLifecycleStage(Str(node, "lifecycle_stage") ?? "active"),
        Long(node, "creation_time") ?? 0,
        Long(node, "last_update_time") ?? 0,
        ReadTags(node["tags"]));

    public static JsonObject RunInfo(RunInfo info)
    {
        var json = new JsonObject
        {
            ["run_id"] = info.RunId,
            ["run_uuid"] = info.RunId,
            ["run_name"] = info.RunName,
            ["experiment_id"] = info.ExperimentId,
            ["user_id"] = info.UserId,
            ["status"] = info.Status.ToMlflow(),
            ["start_time"] = info.StartTime,
            ["artifact_uri"] = info.ArtifactUri,
            ["lifecycle_stage"] = info.LifecycleStage.ToMlflow(),
        };
        if (info.EndTime is { } end)
        {
            json["end_time"] = end;
        }

        return json;
    }

    public static RunInfo ReadRunInfo(JsonNode node) => new(
        Str(node, "run_id") ?? Str(node, "run_uuid")!,
        Str(node, "experiment_id") ?? "0",
        Str(node, "run_name") ?? "",
        Str(node, "user_id") ?? "",
        TrackingNames.ParseRunStatus(Str(node, "status") ?? "RUNNING"),
        Long(node, "start_time") ?? 0,
        Long(node, "end_time"),
        Str(node, "artifact_uri") ?? "",
        TrackingNames.ParseLifecycleStage(Str(node, "lifecycle_stage") ?? "active"));

    public static JsonObject Run(Run run) => new()
    {
        ["info"] = RunInfo(run.Info),
        ["data"] = new JsonObject
        {
            ["metrics"] = new JsonArray(run.Data.Metrics.Select(m => (JsonNode)Metric(m)).ToArray()),
            ["params"] = Tags(run.Data.Params),
            ["tags"] = Tags(run.Data.Tags),
        },
    };

    public static Run ReadRun(JsonNode node)
    {
        var data = node["data"];
        return new Run(
            ReadRunInfo(node["info"]!),
            new RunData(
                ReadMetrics(data?["metrics"]),
                ReadTags(data?["params"]),
                ReadTags(data?["tags"])));
    }

    public static JsonObject Metric(RunMetric m) => new()
    {
        ["key"] = m.Key,
        ["value"] = Double(m.Value),
        ["timestamp"] = m.Timestamp,
        ["step"] = m.Step,
    };

    public static List<RunMetric> ReadMetrics(JsonNode? node) =>
        node?.AsArray().Select(m => new RunMetric(Str(m!, "key") ?? "", ReadDouble(m!["value"]), Long(m!, "timestamp") ?? 0, Long(m!, "step") ?? 0)).ToList() ?? [];

    public static JsonArray Tags(IEnumerable<KeyValuePair<string, string>> pairs) =>
        new(pairs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value }).ToArray());

    public static Dictionary<string, string> ReadTags(JsonNode? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in node?.AsArray() ?? [])
        {
            result[Str(item!, "key") ?? ""] = Str(item!, "value") ?? "";
        }

        return result;
    }

    public static JsonObject RegisteredModel(RegisteredModel m)
    {
        var json = new JsonObject
        {
            ["name"] = m.Name,
            ["creation_timestamp"] = m.CreationTimestamp,
            ["last_updated_timestamp"] = m.LastUpdatedTimestamp,
            ["tags"] = Tags(m.Tags),
            ["aliases"] = new JsonArray(m.Aliases.OrderBy(a => a.Key, StringComparer.Ordinal)
                .Select(a => (JsonNode)new JsonObject { ["alias"] = a.Key, ["version"] = a.Value }).ToArray()),
        };
        if (m.Description.Length > 0)
        {
            json["description"] = m.Description;
        }

        if (m.LatestVersion is not null)
        {
            json["latest_versions"] = new JsonArray(new JsonObject { ["name"] = m.Name, ["version"] = m.LatestVersion });
        }

        return json;
    }

    public static RegisteredModel ReadRegisteredModel(JsonNode node)
    {
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var alias in node["aliases"]?.AsArray() ?? [])
        {
            aliases[Str(alias!, "alias")!] = Str(alias!, "version")!;
        }

        var latest = node["latest_versions"]?.AsArray().Select(v => Str(v!, "version")).Where(v => v is not null)
            .OrderByDescending(v => long.Parse(v!, CultureInfo.InvariantCulture)).FirstOrDefault();
        return new RegisteredModel(Str(node, "name")!, Long(node, "creation_timestamp") ?? 0, Long(node, "last_updated_timestamp") ?? 0,
            Str(node, "description") ?? "", ReadTags(node["tags"]), aliases, latest);
    }

    public static JsonObject ModelVersion(ModelVersion v)
    {
        var json = new JsonObject
        {
            ["name"] = v.Name,
            ["version"] = v.Version,
            ["creation_timestamp"] = v.CreationTimestamp,
            ["last_updated_timestamp"] = v.LastUpdatedTimestamp,
            ["source"] = v.Source,
            ["run_id"] = v.RunId,
            ["status"] = v.Status switch
            {
                ModelVersionStatus.PendingRegistration => "PENDING_REGISTRATION",
                ModelVersionStatus.FailedRegistration => "FAILED_REGISTRATION",
                _ => "READY",
            },
            ["current_stage"] = "None",
            ["tags"] = Tags(v.Tags),
            ["aliases"] = new JsonArray(v.Aliases.Select(a => (JsonNode)a).ToArray()),
        };
        if (v.Description.Length > 0)
        {
            json["description"] = v.Description;
        }

        return json;
    }

    public static ModelVersion ReadModelVersion(JsonNode node) => new(
        Str(node, "name")!,
        Str(node, "version")!,
        Long(node, "creation_timestamp") ?? 0,
        Long(node, "last_updated_timestamp") ?? 0,
        Str(node, "description") ?? "",
        Str(node, "source") ?? "",
        Str(node, "run_id") ?? "",
        Str(node, "status") switch
        {
            "PENDING_REGISTRATION" => ModelVersionStatus.PendingRegistration,
            "FAILED_REGISTRATION" => ModelVersionStatus.FailedRegistration,
            _ => ModelVersionStatus.Ready,
        },
        ReadTags(node["tags"]),
        node["aliases"]?.AsArray().Select(a => a!.GetValue<string>()).ToList() ?? []);

    public static JsonNode Double(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "Infinity" : double.IsNegativeInfinity(value) ? "-Infinity" : JsonValue.Create(value);

    public static double ReadDouble(JsonNode? node)
    {
        if (node is null)
        {
            throw MlflowException.InvalidParameter("Missing value for parameter 'value'.");
        }

        if (node.GetValueKind() == JsonValueKind.String)
        {
            var text = node.GetValue<string>();
            return text switch
            {
                "NaN" => double.NaN,
                "Infinity" => double.PositiveInfinity,
                "-Infinity" => double.NegativeInfinity,
                _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                    ? parsed
                    : throw MlflowException.InvalidParameter($"Invalid value '{text}' for a metric: expected a number."),
            };
        }

        return node.GetValue<double>();
    }

    public static string? Str(JsonNode node, string name) => node[name] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.ToJsonString(),
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>() ? "true" : "false",
        var other => throw MlflowException.InvalidParameter($"Invalid value {other.ToJsonString()} for parameter '{name}': expected a string."),
    };

    public static long? Long(JsonNode node, string name) => node[name] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.GetValue<long>(),
        JsonValue value when value.GetValueKind() == JsonValueKind.String && long.TryParse(value.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
        var other => throw MlflowException.InvalidParameter($"Invalid value {other.ToJsonString()} for parameter '{name}': expected an integer."),
    };

    public static List<string> Strings(JsonNode node, string name) => node[name] switch
    {
        null => [],
        JsonArray array => array.Select(item => item!.GetValueKind() == JsonValueKind.String ? item.GetValue<string>() : item.ToJsonString()).ToList(),
        JsonValue value => [value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString()],
        _ => throw MlflowException.InvalidParameter($"Invalid value for parameter '{name}': expected a list of strings."),
    };

    public static string Required(JsonNode node, string name) =>
        Str(node, name) is { Length: > 0 } value ? value : throw MlflowException.InvalidParameter($"Missing value for required parameter '{name}'. See the API docs for more information about request parameters.");

    public static JsonObject Error(string errorCode, string message) => new() { ["error_code"] = errorCode, ["message"] = message };

    public static string Serialize(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
}
