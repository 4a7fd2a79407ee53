using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace Mlops.Distributed.Cluster;

/// <summary>
/// Reads a <see cref="ClusterSpec"/> from TensorFlow's <c>TF_CONFIG</c> or torchrun's variables, so one program runs under
/// Kubeflow's TFJob or PyTorchJob, torchrun-style launchers and the Mlops launcher. Bad values throw a
/// <see cref="ClusterConfigurationException"/> naming the variable.
/// </summary>
public static class ClusterSpecReader
{
    /// <summary>Reads the spec from this process's environment variables.</summary>
    /// <returns>The spec; a single-process spec when no cluster variable is set.</returns>
    /// <exception cref="ClusterConfigurationException">A variable is malformed or the variables disagree.</exception>
    public static ClusterSpec FromEnvironment()
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = entry.Value as string;
        }

        return FromEnvironment(variables);
    }

    /// <summary>Reads the spec from the given variables (tests, or a process's prepared environment).</summary>
    /// <param name="variables">Environment variables by name.</param>
    /// <returns>The spec; a single-process spec when no cluster variable is set.</returns>
    /// <exception cref="ClusterConfigurationException">A variable is malformed or the variables disagree.</exception>
    public static ClusterSpec FromEnvironment(IReadOnlyDictionary<string, string?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var generation = ReadGeneration(variables);
        var tfConfig = Get(variables, ClusterVariables.TfConfig);
        var hasTorchrun = Get(variables, ClusterVariables.Rank) is not null || Get(variables, ClusterVariables.WorldSize) is not null;
        if (tfConfig is not null)
        {
            var fromTf = FromTfConfig(tfConfig, generation);
            if (hasTorchrun)
            {
                // Both present: accept only when they describe the same process, else the job would silently use one.
                var fromTorch = FromTorchrun(variables, generation);
                if (fromTorch.Rank != fromTf.Rank || fromTorch.WorldSize != fromTf.WorldSize)
                {
                    throw new ClusterConfigurationException(
                        ClusterVariables.TfConfig,
                        $"TF_CONFIG describes rank {fromTf.Rank} of {fromTf.WorldSize} but RANK/WORLD_SIZE say rank {fromTorch.Rank} of {fromTorch.WorldSize}; unset one of them.");
                }
            }

            return fromTf;
        }

        return hasTorchrun ? FromTorchrun(variables, generation) : new ClusterSpec(0, 1, "127.0.0.1", 29500, generation: generation, source: ClusterSpecSource.SingleProcess);
    }

    /// <summary>
    /// Parses TensorFlow's <c>TF_CONFIG</c>: <c>{"cluster": {"chief": ["h:p"], "worker": ["h:p", ...]}, "task": {"type": "worker", "index": 0}}</c>.
    /// The chief is rank 0 and workers follow in order (worker 0 is rank 0 when there is no chief); rank 0's address and
    /// port host the rendezvous store. Local rank counts the tasks on the same host.
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="generation">The restart generation.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="ClusterConfigurationException">The JSON is malformed or inconsistent.</exception>
    public static ClusterSpec FromTfConfig(string json, long generation = 0)
    {
        ArgumentNullException.ThrowIfNull(json);
        const string name = ClusterVariables.TfConfig;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ClusterConfigurationException(name, $"not valid JSON ({ex.Message}).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ClusterConfigurationException(name, "must be a JSON object with 'cluster' and 'task'.");
            }

            if (!root.TryGetProperty("cluster", out var cluster) || cluster.ValueKind != JsonValueKind.Object)
            {
                throw new ClusterConfigurationException(name, "has no 'cluster' object listing the chief and worker addresses.");
            }

            if (!root.TryGetProperty("task", out var task) || task.ValueKind != JsonValueKind.Object)
            {
                throw new ClusterConfigurationException(name, "has no 'task' object with 'type' and 'index'.");
            }

            var chiefs = ReadAddresses(cluster, "chief");
            var workers = ReadAddresses(cluster, "worker");
            foreach (var property in cluster.EnumerateObject())
            {
                if (property.Name is "ps")
                {
                    throw new ClusterConfigurationException(name, "lists parameter servers ('ps'); MultiWorkerMirroredStrategy is all-reduce based and has none.");
                }
            }

            if (chiefs.Count > 1)
            {
                throw new ClusterConfigurationException(name, $"cluster.chief lists {chiefs.Count} addresses; there can be at most one chief.");
            }

            var all = new List<string>(chiefs);
            all.AddRange(workers);
            if (all.Count == 0)
            {
                throw new ClusterConfigurationException(name, "cluster lists no chief and no worker.");
            }

            if (!task.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                throw new ClusterConfigurationException(name, "task.type is missing or not a string ('chief' or 'worker').");
            }

            var type = typeElement.GetString()!;
            int index = 0;
            if (task.TryGetProperty("index", out var indexElement))
            {
                if (indexElement.ValueKind != JsonValueKind.Number || !indexElement.TryGetInt32(out index))
                {
                    throw new ClusterConfigurationException(name, $"task.index must be an integer, not {indexElement.GetRawText()}.");
                }
            }

            int rank = type switch
            {
                "chief" => chiefs.Count == 1 && index == 0
                    ? 0
                    : throw new ClusterConfigurationException(name, $"task is chief {index} but the cluster lists {chiefs.Count} chief address(es)."),
                "worker" => index >= 0 && index < workers.Count
                    ? chiefs.Count + index
                    : throw new ClusterConfigurationException(name, $"task is worker {index} but cluster.worker lists {workers.Count} address(es)."),
                "evaluator" => throw new ClusterConfigurationException(name, "task type 'evaluator' does not take part in training; run the evaluator without the strategy."),
                _ => throw new ClusterConfigurationException(name, $"task.type '{type}' is not 'chief' or 'worker'."),
            };

            var hosts = all.Select(a => SplitAddress(a).Host).ToList();
            var (masterHost, masterPort) = SplitAddress(all[0]);
            var localRank = hosts.Take(rank).Count(h => string.Equals(h, hosts[rank], StringComparison.OrdinalIgnoreCase));
            var localWorldSize = hosts.Count(h => string.Equals(h, hosts[rank], StringComparison.OrdinalIgnoreCase));
            return new ClusterSpec(rank, all.Count, masterHost, masterPort, localRank, localWorldSize, generation, ClusterSpecSource.TfConfig);
        }
    }

    private static ClusterSpec FromTorchrun(IReadOnlyDictionary<string, string?> variables, long generation)
    {
        var worldSize = ReadInt(variables, ClusterVariables.WorldSize, required: true, min: 1)!.Value;
        var rank = ReadInt(variables, ClusterVariables.Rank, required: true, min: 0)!.Value;
        if (rank >= worldSize)
        {
            throw new ClusterConfigurationException(ClusterVariables.Rank, $"rank {rank} is outside 0..{worldSize - 1} for WORLD_SIZE={worldSize}.");
        }

        var localWorldSize = ReadInt(variables, ClusterVariables.LocalWorldSize, required: false, min: 1) ?? 1;
        if (localWorldSize > worldSize)
        {
            throw new ClusterConfigurationException(ClusterVariables.LocalWorldSize, $"{localWorldSize} is larger than WORLD_SIZE={worldSize}.");
        }

        var localRank = ReadInt(variables, ClusterVariables.LocalRank, required: false, min: 0) ?? 0;
        if (localRank >= localWorldSize)
        {
            throw new ClusterConfigurationException(ClusterVariables.LocalRank, $"local rank {localRank} is outside 0..{localWorldSize - 1} for LOCAL_WORLD_SIZE={localWorldSize}.");
        }

        // One process needs no rendezvous, so the address may be absent; a real job must say where rank 0 is.
        var address = Get(variables, ClusterVariables.MasterAddress);
        if (address is null && worldSize > 1)
        {
            throw new ClusterConfigurationException(ClusterVariables.MasterAddress, $"is not set; WORLD_SIZE={worldSize} needs the address of rank 0.");
        }

        var port = ReadInt(variables, ClusterVariables.MasterPort, required: worldSize > 1, min: 1) ?? 29500;
        if (port > 65535)
        {
            throw new ClusterConfigurationException(ClusterVariables.MasterPort, $"'{port}' is not a TCP port (1..65535).");
        }

        return new ClusterSpec(rank, worldSize, address ?? "127.0.0.1", port, localRank, localWorldSize, generation, ClusterSpecSource.Torchrun)
        {
            LauncherHostsStore = ReadFlag(variables, ClusterVariables.UseAgentStore),
        };
    }

    private static bool ReadFlag(IReadOnlyDictionary<string, string?> variables, string name) =>
        Get(variables, name)?.ToLowerInvariant() switch
        {
            null or "false" or "0" => false,
            "true" or "1" => true,
            _ => throw new ClusterConfigurationException(name, $"'{Get(variables, name)}' is not True or False."),
        };

    private static long ReadGeneration(IReadOnlyDictionary<string, string?> variables)
    {
        foreach (var name in new[] { ClusterVariables.Generation, ClusterVariables.TorchElasticRestartCount })
        {
            var text = Get(variables, name);
            if (text is not null)
            {
                return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                    ? value
                    : throw new ClusterConfigurationException(name, $"'{text}' is not a non-negative integer.");
            }
        }

        return 0;
    }

    private static int? ReadInt(IReadOnlyDictionary<string, string?> variables, string name, bool required, int min)
    {
        var text = Get(variables, name);
        if (text is null)
        {
            return required ? throw new ClusterConfigurationException(name, "is not set; torchrun-style jobs set RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT together.") : null;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new ClusterConfigurationException(name, $"'{text}' is not an integer.");
        }

        return value >= min ? value : throw new ClusterConfigurationException(name, $"{value} is below the minimum {min}.");
    }

    private static List<string> ReadAddresses(JsonElement cluster, string type)
    {
        if (!cluster.TryGetProperty(type, out var list))
        {
            return [];
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw new ClusterConfigurationException(ClusterVariables.TfConfig, $"cluster.{type} must be a list of \"host:port\" strings.");
        }

        var addresses = new List<string>();
        foreach (var item in list.EnumerateArray())
        {
            var text = item.ValueKind == JsonValueKind.String ? item.GetString()! : string.Empty;
            if (text.Length == 0 || !TrySplitAddress(text, out _, out _))
            {
                throw new ClusterConfigurationException(ClusterVariables.TfConfig, $"cluster.{type}[{addresses.Count}] {item.GetRawText()} is not a \"host:port\" address.");
            }

            addresses.Add(text);
        }

        return addresses;
    }

    private static (string Host, int Port) SplitAddress(string address) =>
        TrySplitAddress(address, out var host, out var port) ? (host, port) : throw new ClusterConfigurationException(ClusterVariables.TfConfig, $"'{address}' is not a host:port address.");

    private static bool TrySplitAddress(string address, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1)
        {
            return false;
        }

        host = address[..colon].Trim('[', ']');
        return int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535 && host.Length > 0;
    }

    private static string? Get(IReadOnlyDictionary<string, string?> variables, string name) =>
        variables.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
