using System.Collections.Concurrent;
using System.Text.Json;

namespace Mlops.Pipelines;

/// <summary>Well-known XCom keys.</summary>
public static class XcomKeys
{
    /// <summary>The key under which a task's return value is stored: <c>return_value</c>, as in Airflow.</summary>
    public const string ReturnValue = "return_value";
}

/// <summary>The XCom values of one DAG run, visible to its tasks once the task that pushed them has succeeded (and that is persisted).</summary>
internal sealed class RunXcoms
{
    private readonly ConcurrentDictionary<(string TaskId, string Key), string> _values = new();

    public void Set(string taskId, string key, string json) => _values[(taskId, key)] = json;

    public bool TryGet(string taskId, string key, out string json) => _values.TryGetValue((taskId, key), out json!);
}

/// <summary>Serializes XCom values as JSON within a size limit.</summary>
internal static class XcomSerializer
{
    public static string Serialize<T>(T value, int maxBytes, string dagId, string runId, string taskId, string key)
    {
        byte[] bytes;
        try
        {
            bytes = JsonSerializer.SerializeToUtf8Bytes(value);
        }
        catch (ArgumentException e)
        {
            // The writer refuses NaN and infinities (JSON has neither) with a message that speaks only of infinity.
            var what = value switch
            {
                double d when double.IsNaN(d) => "is NaN",
                float f when float.IsNaN(f) => "is NaN",
                double or float => "is infinite",
                _ => "holds a NaN or infinite number",
            };
            throw new XcomException(
                $"DAG '{dagId}', run '{runId}', task '{taskId}': XCom '{key}' {what}, which JSON cannot represent; return or push null, or the value as a string (e.g. \"NaN\"), instead.",
                dagId, runId, taskId, e);
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException)
        {
            throw new XcomException(
                $"DAG '{dagId}', run '{runId}', task '{taskId}': XCom '{key}' of type {value?.GetType().Name} cannot be serialized to JSON: {e.Message}",
                dagId, runId, taskId, e);
        }

        if (bytes.Length > maxBytes)
        {
            throw new XcomException(
                $"DAG '{dagId}', run '{runId}', task '{taskId}': XCom '{key}' is {bytes.Length:N0} bytes of JSON, over the limit of {maxBytes:N0} (ExecutorOptions.MaxXcomBytes). "
                + "Pass large data through storage and push its location instead.",
                dagId, runId, taskId);
        }

        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    public static T? Deserialize<T>(string json, string dagId, string runId, string taskId, string key)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json);
        }
        catch (JsonException e)
        {
            throw new XcomException(
                $"DAG '{dagId}', run '{runId}': XCom '{key}' of task '{taskId}' cannot be read as {typeof(T).Name}: {e.Message}", dagId, runId, taskId, e);
        }
    }
}
