using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Mlops.Tracking;

namespace Mlops.Onnx;

/// <summary>
/// Turns a manifest's <c>providers</c> and <c>onnx_session_options</c> (MLflow's onnx flavor settings) into ONNX
/// Runtime <see cref="SessionOptions"/>, with the meaning MLflow's Python loader gives them.
/// </summary>
internal static class OnnxSessionSettings
{
    private static readonly string[] Known =
    [
        "execution_mode", "graph_optimization_level", "intra_op_num_threads", "inter_op_num_threads", "extra_session_config",
        "enable_cpu_mem_arena", "enable_mem_pattern", "enable_profiling", "log_severity_level", "log_verbosity_level",
    ];

    /// <summary>The session options and the execution providers actually appended (CPU is always last).</summary>
    public static (SessionOptions Options, IReadOnlyList<string> Providers) Create(JsonObject settings, string source)
    {
        var options = new SessionOptions();
        try
        {
            var providers = AppendProviders(options, settings["providers"], source);
            if (settings["onnx_session_options"] is JsonObject session)
            {
                foreach (var (key, value) in session)
                {
                    Apply(options, key, value, source);
                }
            }
            else if (settings["onnx_session_options"] is { } other)
            {
                throw Invalid(source, $"onnx_session_options is {other.GetValueKind()}; it must be a mapping of session option names to values, or null.");
            }

            return (options, providers);
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    private static List<string> AppendProviders(SessionOptions options, JsonNode? node, string source)
    {
        var requested = node switch
        {
            null => [],
            JsonArray array => array.Select(n => n?.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : throw Invalid(source, $"providers holds {n?.ToJsonString() ?? "null"}; each provider is a name such as 'CPUExecutionProvider'.")).ToList(),
            _ => throw Invalid(source, $"providers is {node.GetValueKind()}; it must be a list of execution provider names."),
        };
        var available = OrtEnv.Instance().GetAvailableProviders();
        var used = new List<string>();
        foreach (var provider in requested.Distinct(StringComparer.Ordinal))
        {
            // As onnxruntime in Python does, a provider this build lacks is passed over for the next one.
            if (provider == "CPUExecutionProvider" || !available.Contains(provider))
            {
                continue;
            }

            if (provider == "CUDAExecutionProvider")
            {
                options.AppendExecutionProvider_CUDA(0);
                used.Add(provider);
            }
        }

        used.Add("CPUExecutionProvider");
        return used;
    }

    private static void Apply(SessionOptions options, string key, JsonNode? value, string source)
    {
        switch (key)
        {
            case "execution_mode":
                options.ExecutionMode = Text(key, value, source).ToLowerInvariant() switch
                {
                    "sequential" => ExecutionMode.ORT_SEQUENTIAL,
                    "parallel" => ExecutionMode.ORT_PARALLEL,
                    var other => throw Invalid(source, $"onnx_session_options.execution_mode is '{other}'; it must be 'sequential' or 'parallel'."),
                };
                break;
            case "graph_optimization_level":
                var level = Integer(key, value, source);
                options.GraphOptimizationLevel = level switch
                {
                    0 => GraphOptimizationLevel.ORT_DISABLE_ALL,
                    1 => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                    2 => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                    99 => GraphOptimizationLevel.ORT_ENABLE_ALL,
                    _ => throw Invalid(source, $"onnx_session_options.graph_optimization_level is {level}; it must be 0, 1, 2 or 99 (disable all, basic, extended, all)."),
                };
                break;
            case "intra_op_num_threads":
                options.IntraOpNumThreads = NonNegative(key, value, source);
                break;
            case "inter_op_num_threads":
                options.InterOpNumThreads = NonNegative(key, value, source);
                break;
            case "enable_cpu_mem_arena":
                options.EnableCpuMemArena = Boolean(key, value, source);
                break;
            case "enable_mem_pattern":
                options.EnableMemoryPattern = Boolean(key, value, source);
                break;
            case "enable_profiling":
                options.EnableProfiling = Boolean(key, value, source);
                break;
            case "log_severity_level":
                options.LogSeverityLevel = (OrtLoggingLevel)NonNegative(key, value, source);
                break;
            case "log_verbosity_level":
                options.LogVerbosityLevel = NonNegative(key, value, source);
                break;
            case "extra_session_config":
                if (value is not JsonObject entries)
                {
                    throw Invalid(source, "onnx_session_options.extra_session_config must be a mapping of configuration keys to string values.");
                }

                foreach (var (entry, setting) in entries)
                {
                    options.AddSessionConfigEntry(entry, setting?.GetValueKind() == JsonValueKind.String ? setting.GetValue<string>() : setting?.ToJsonString() ?? "");
                }

                break;
            default:
                throw Invalid(source, $"onnx_session_options.{key} is not a session option this loader knows; known: {string.Join(", ", Known)}.");
        }
    }

    private static string Text(string key, JsonNode? value, string source) =>
        value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw Invalid(source, $"onnx_session_options.{key} must be a string.");

    private static long Integer(string key, JsonNode? value, string source) =>
        value?.GetValueKind() == JsonValueKind.Number && value.AsValue().TryGetValue<long>(out var number) ? number
        : throw Invalid(source, $"onnx_session_options.{key} must be an integer; got {value?.ToJsonString() ?? "null"}.");

    private static int NonNegative(string key, JsonNode? value, string source)
    {
        var number = Integer(key, value, source);
        return number is >= 0 and <= int.MaxValue ? (int)number : throw Invalid(source, $"onnx_session_options.{key} is {number.ToString(CultureInfo.InvariantCulture)}; it must be at least 0.");
    }

    private static bool Boolean(string key, JsonNode? value, string source) => value?.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Invalid(source, $"onnx_session_options.{key} must be true or false."),
    };

    private static MlflowException Invalid(string source, string message) => MlflowException.InvalidParameter($"The onnx flavor of {source}: {message}");
}
