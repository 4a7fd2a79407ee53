using Mlops.Distributed.Cluster;

namespace Mlops.Distributed.Tests.Cluster;

public class ClusterSpecReaderTests
{
    private static ClusterSpec Read(params (string Name, string? Value)[] variables) =>
        ClusterSpecReader.FromEnvironment(variables.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void NoVariablesMeansOneProcess()
    {
        var spec = Read();
        Assert.Equal((0, 1, ClusterSpecSource.SingleProcess), (spec.Rank, spec.WorldSize, spec.Source));
        Assert.True(spec.IsChief);
    }

    [Fact]
    public void TorchrunVariables()
    {
        var spec = Read(("RANK", "3"), ("WORLD_SIZE", "4"), ("LOCAL_RANK", "1"), ("LOCAL_WORLD_SIZE", "2"), ("MASTER_ADDR", "10.0.0.5"), ("MASTER_PORT", "29400"), ("TORCHELASTIC_RESTART_COUNT", "2"));
        Assert.Equal((3, 4, 1, 2, "10.0.0.5", 29400, 2L), (spec.Rank, spec.WorldSize, spec.LocalRank, spec.LocalWorldSize, spec.MasterAddress, spec.MasterPort, spec.Generation));
        Assert.Equal(ClusterSpecSource.Torchrun, spec.Source);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("True", true)]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("False", false)]
    [InlineData("0", false)]
    public void TorchrunsAgentStoreFlagSaysWhetherRankZeroHostsTheStore(string? value, bool launcherHosts)
    {
        var spec = Read(("RANK", "0"), ("WORLD_SIZE", "2"), ("MASTER_ADDR", "127.0.0.1"), ("MASTER_PORT", "29400"), ("TORCHELASTIC_USE_AGENT_STORE", value), ("MLOPS_RENDEZVOUS_GENERATION", "1"));
        Assert.Equal(launcherHosts, spec.LauncherHostsStore);
        Assert.Equal(launcherHosts, spec.WithGeneration(2).LauncherHostsStore);
    }

    [Fact]
    public void MlopsGenerationWinsOverTorchElastic()
    {
        var spec = Read(("RANK", "0"), ("WORLD_SIZE", "1"), ("MLOPS_RENDEZVOUS_GENERATION", "7"), ("TORCHELASTIC_RESTART_COUNT", "2"));
        Assert.Equal(7, spec.Generation);
    }

    [Theory]
    [InlineData("RANK", "x", "RANK: 'x' is not an integer")]
    [InlineData("RANK", "4", "RANK: rank 4 is outside 0..3")]
    [InlineData("RANK", "-1", "RANK: -1 is below the minimum 0")]
    [InlineData("WORLD_SIZE", "0", "WORLD_SIZE: 0 is below the minimum 1")]
    [InlineData("MASTER_PORT", "70000", "MASTER_PORT: '70000' is not a TCP port")]
    [InlineData("MASTER_PORT", "", "MASTER_PORT: is not set")]
    [InlineData("MASTER_ADDR", null, "MASTER_ADDR: is not set; WORLD_SIZE=4")]
    [InlineData("LOCAL_RANK", "2", "LOCAL_RANK: local rank 2 is outside 0..1")]
    [InlineData("LOCAL_WORLD_SIZE", "5", "LOCAL_WORLD_SIZE: 5 is larger than WORLD_SIZE=4")]
    [InlineData("MLOPS_RENDEZVOUS_GENERATION", "abc", "MLOPS_RENDEZVOUS_GENERATION: 'abc' is not a non-negative integer")]
    [InlineData("TORCHELASTIC_USE_AGENT_STORE", "yes", "TORCHELASTIC_USE_AGENT_STORE: 'yes' is not True or False")]
    public void MalformedTorchrunVariableIsNamed(string name, string? value, string expected)
    {
        var variables = new Dictionary<string, string?>
        {
            ["RANK"] = "1", ["WORLD_SIZE"] = "4", ["LOCAL_RANK"] = "1", ["LOCAL_WORLD_SIZE"] = "2", ["MASTER_ADDR"] = "h", ["MASTER_PORT"] = "29500",
        };
        variables[name] = value;
        var ex = Assert.Throws<ClusterConfigurationException>(() => ClusterSpecReader.FromEnvironment(variables));
        Assert.Equal(name, ex.Variable);
        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RankWithoutWorldSizeIsAnError()
    {
        var ex = Assert.Throws<ClusterConfigurationException>(() => Read(("RANK", "0")));
        Assert.Equal("WORLD_SIZE", ex.Variable);
    }

    [Fact]
    public void TfConfigChiefAndWorkers()
    {
        const string json = """{"cluster": {"chief": ["host-a:2222"], "worker": ["host-a:2223", "host-b:2222", "host-b:2223"]}, "task": {"type": "worker", "index": 2}}""";
        var spec = Read(("TF_CONFIG", json));
        Assert.Equal((3, 4, 1, 2, "host-a", 2222), (spec.Rank, spec.WorldSize, spec.LocalRank, spec.LocalWorldSize, spec.MasterAddress, spec.MasterPort));
        Assert.Equal(ClusterSpecSource.TfConfig, spec.Source);

        var chief = ClusterSpecReader.FromTfConfig(json.Replace("\"type\": \"worker\", \"index\": 2", "\"type\": \"chief\", \"index\": 0", StringComparison.Ordinal));
        Assert.Equal((0, 0, 2), (chief.Rank, chief.LocalRank, chief.LocalWorldSize));
    }

    [Fact]
    public void TfConfigWorkersOnlyMakesWorkerZeroTheChief()
    {
        var spec = ClusterSpecReader.FromTfConfig("""{"cluster": {"worker": ["[::1]:5000", "[::1]:5001"]}, "task": {"type": "worker", "index": 0}}""");
        Assert.Equal((0, 2, "::1", 5000), (spec.Rank, spec.WorldSize, spec.MasterAddress, spec.MasterPort));
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("""{"task": {"type": "worker", "index": 0}}""", "has no 'cluster' object")]
    [InlineData("""{"cluster": {"worker": ["a:1"]}}""", "has no 'task' object")]
    [InlineData("""{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}}""", "task is worker 1 but cluster.worker lists 1 address(es)")]
    [InlineData("""{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": "0"}}""", "task.index must be an integer")]
    [InlineData("""{"cluster": {"worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}""", "task is chief 0 but the cluster lists 0 chief")]
    [InlineData("""{"cluster": {"worker": ["a"]}, "task": {"type": "worker", "index": 0}}""", "cluster.worker[0] \"a\" is not a \"host:port\" address")]
    [InlineData("""{"cluster": {"worker": "a:1"}, "task": {"type": "worker", "index": 0}}""", "cluster.worker must be a list")]
    [InlineData("""{"cluster": {"worker": ["a:1"], "ps": ["b:1"]}, "task": {"type": "worker", "index": 0}}""", "parameter servers")]
    [InlineData("""{"cluster": {"worker": ["a:1"]}, "task": {"type": "evaluator", "index": 0}}""", "'evaluator' does not take part")]
    [InlineData("""{"cluster": {}, "task": {"type": "worker", "index": 0}}""", "lists no chief and no worker")]
    public void MalformedTfConfigSaysWhy(string json, string expected)
    {
        var ex = Assert.Throws<ClusterConfigurationException>(() => Read(("TF_CONFIG", json)));
        Assert.Equal("TF_CONFIG", ex.Variable);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TfConfigAndTorchrunMustAgree()
    {
        const string json = """{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 1}}""";
        Assert.Equal(1, Read(("TF_CONFIG", json), ("RANK", "1"), ("WORLD_SIZE", "2"), ("MASTER_ADDR", "a"), ("MASTER_PORT", "1")).Rank);
        var ex = Assert.Throws<ClusterConfigurationException>(() => Read(("TF_CONFIG", json), ("RANK", "0"), ("WORLD_SIZE", "2"), ("MASTER_ADDR", "a"), ("MASTER_PORT", "1")));
        Assert.Contains("TF_CONFIG describes rank 1 of 2 but RANK/WORLD_SIZE say rank 0 of 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExplicitSpecValidatesRanges()
    {
        Assert.Equal("rank", Assert.Throws<ClusterConfigurationException>(() => new ClusterSpec(2, 2, "h", 1)).Variable);
        Assert.Equal("masterPort", Assert.Throws<ClusterConfigurationException>(() => new ClusterSpec(0, 2, "h", 0)).Variable);
        Assert.Equal("localRank", Assert.Throws<ClusterConfigurationException>(() => new ClusterSpec(0, 2, "h", 1, localRank: 1, localWorldSize: 1)).Variable);
        Assert.Equal(5, new ClusterSpec(1, 2, "h", 1).WithGeneration(5).Generation);
    }
}
