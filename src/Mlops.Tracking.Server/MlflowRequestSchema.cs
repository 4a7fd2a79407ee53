using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mlops.Tracking.Server;

/// <summary>
/// The JSON type of every request field of every endpoint (MLflow's protobuf messages: strings, 64-bit integers,
/// doubles, lists of strings, lists of <c>{key, value}</c> pairs or metrics), checked before any handler runs, so a
/// wrongly typed value is a 400 naming the field instead of being coerced (<c>{"name": true}</c> is refused, not an
/// experiment named "true"). As protobuf's JSON mapping does, integers and doubles may also come as strings, and a
/// GET request's query values are all strings. Unknown fields are ignored, as MLflow ignores them.
/// </summary>
internal static class MlflowRequestSchema
{
    private enum Kind
    {
        String,
        Integer,
        Double,
        StringList,
        PairList,
        MetricList,
    }

    private static readonly Dictionary<string, Kind> s_fields = new(StringComparer.Ordinal)
    {
        ["name"] = Kind.String,
        ["new_name"] = Kind.String,
        ["experiment_id"] = Kind.String,
        ["experiment_name"] = Kind.String,
        ["artifact_location"] = Kind.String,
        ["run_id"] = Kind.String,
        ["run_uuid"] = Kind.String,
        ["user_id"] = Kind.String,
        ["run_name"] = Kind.String,
        ["status"] = Kind.String,
        ["key"] = Kind.String,
        ["value"] = Kind.String,
        ["description"] = Kind.String,
        ["alias"] = Kind.String,
        ["version"] = Kind.String,
        ["source"] = Kind.String,
        ["run_link"] = Kind.String,
        ["metric_key"] = Kind.String,
        ["page_token"] = Kind.String,
        ["filter"] = Kind.String,
        ["view_type"] = Kind.String,
        ["run_view_type"] = Kind.String,
        ["start_time"] = Kind.Integer,
        ["end_time"] = Kind.Integer,
        ["timestamp"] = Kind.Integer,
        ["step"] = Kind.Integer,
        ["max_results"] = Kind.Integer,
        ["experiment_ids"] = Kind.StringList,
        ["order_by"] = Kind.StringList,
        ["tags"] = Kind.PairList,
        ["params"] = Kind.PairList,
        ["metrics"] = Kind.MetricList,
    };

    /// <summary>Refuses a field whose JSON type differs from the endpoint's message.</summary>
    /// <param name="path">The endpoint, such as <c>runs/log-metric</c> (where <c>value</c> is a double).</param>
    /// <param name="request">The request's fields.</param>
    /// <param name="fromQuery">True for GET: every value is a string (or a list of them for a repeated parameter).</param>
    public static void Check(string path, JsonObject request, bool fromQuery)
    {
        foreach (var (field, value) in request)
        {
            if (!s_fields.TryGetValue(field, out var kind))
            {
                continue;
            }

            if (field == "value" && path == "runs/log-metric")
            {
                kind = Kind.Double;
            }

            if (value is null)
            {
                // JSON null is "not set" in protobuf's JSON mapping.
                continue;
            }

            if (fromQuery && value is JsonArray && kind is not Kind.StringList)
            {
                throw Invalid(value, field, "a single value");
            }

            switch (kind)
            {
                case Kind.String:
                    RequireString(value, field);
                    break;
                case Kind.Integer:
                    RequireInteger(value, field);
                    break;
                case Kind.Double:
                    RequireDouble(value, field);
                    break;
                case Kind.StringList:
                    // Elements are checked by MlflowRequest.Validate; a single string is a one-element list.
                    if (value is not (JsonArray or JsonValue) || (value is JsonValue && value.GetValueKind() != JsonValueKind.String))
                    {
                        throw Invalid(value, field, "a list of strings");
                    }

                    break;
                case Kind.PairList:
                case Kind.MetricList:
                    if (value is not JsonArray array)
                    {
                        throw Invalid(value, field, "a list of objects");
                    }

                    for (var i = 0; i < array.Count; i++)
                    {
                        if (array[i] is JsonObject item)
                        {
                            CheckItem(item, $"{field}[{i}]", kind);
                        }
                    }

                    break;
            }
        }
    }

    private static void CheckItem(JsonObject item, string at, Kind kind)
    {
        foreach (var (field, value) in item)
        {
            if (value is null)
            {
                continue;
            }

            var name = $"{at}.{field}";
            switch (field)
            {
                case "key":
                    RequireString(value, name);
                    break;
                case "value" when kind == Kind.MetricList:
                    RequireDouble(value, name);
                    break;
                case "value":
                    RequireString(value, name);
                    break;
                case "timestamp" or "step" when kind == Kind.MetricList:
                    RequireInteger(value, name);
                    break;
            }
        }
    }

    private static void RequireString(JsonNode value, string field)
    {
        if (value is not JsonValue || value.GetValueKind() != JsonValueKind.String)
        {
            throw Invalid(value, field, "a string");
        }
    }

    private static void RequireInteger(JsonNode value, string field)
    {
        var ok = value is JsonValue && value.GetValueKind() switch
        {
            JsonValueKind.Number => long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            JsonValueKind.String => long.TryParse(value.GetValue<string>(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            _ => false,
        };
        if (!ok)
        {
            throw Invalid(value, field, "a 64-bit integer");
        }
    }

    private static void RequireDouble(JsonNode value, string field)
    {
        var ok = value is JsonValue && value.GetValueKind() switch
        {
            JsonValueKind.Number => true,
            JsonValueKind.String => value.GetValue<string>() is "NaN" or "Infinity" or "-Infinity"
                || double.TryParse(value.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out _),
            _ => false,
        };
        if (!ok)
        {
            throw Invalid(value, field, "a number");
        }
    }

    private static MlflowException Invalid(JsonNode value, string field, string expected)
    {
        var text = value.ToJsonString();
        return MlflowException.InvalidParameter(
            $"Invalid value {(text.Length <= 100 ? text : text[..100] + "...")} for parameter '{field}' supplied: expected {expected}.");
    }
}
