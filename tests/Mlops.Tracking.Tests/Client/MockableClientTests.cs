using Mlops.Testing.Tracking;
using Mlops.Tracking.Registry;

namespace Mlops.Tracking.Tests.Client;

/// <summary>Consumers fake the clients in their own tests: subclasses override virtual members and stand in for the real ones.</summary>
public sealed class MockableClientTests
{
    private static readonly RunInfo FakeInfo = new("0123456789abcdef0123456789abcdef", "0", "fake", "tester", RunStatus.Running, 1, null, "/nowhere/artifacts", LifecycleStage.Active);

    [Fact]
    public void A_tracking_client_subclass_is_used_where_the_client_is_expected()
    {
        var fake = new FakeTrackingClient();
        var registryStore = new InMemoryModelRegistryStore();

        // ModelRegistryClient resolves runs:/ sources through the tracking client it is given: here the fake.
        var registry = new ModelRegistryClient(registryStore, fake);
        var version = registry.RegisterModel($"runs:/{FakeInfo.RunId}/model", "m");
        Assert.Equal(FakeInfo.RunId, version.RunId);
        Assert.Equal("/nowhere/artifacts/model", registry.ResolveArtifactUri("models:/m/1"));
        Assert.Equal([FakeInfo.RunId, FakeInfo.RunId], fake.RunsAsked);

        using var run = fake.StartRun("any");
        run.LogMetric("loss", 0.5);
        Assert.Equal([("loss", 0.5)], ((FakeActiveRun)run).Metrics);
    }

    [Fact]
    public void A_registry_client_subclass_overrides_one_call()
    {
        ModelRegistryClient registry = new FakeRegistryClient();
        var version = registry.GetModelVersionByAlias("m", "champion");
        Assert.Equal("7", version.Version);
    }

    private sealed class FakeTrackingClient : TrackingClient
    {
        public List<string> RunsAsked { get; } = [];

        public override Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default)
        {
            RunsAsked.Add(runId);
            return Task.FromResult(new Run(FakeInfo, new RunData([], new Dictionary<string, string>(), new Dictionary<string, string>())));
        }

        public override ActiveRun StartRun(string? runName = null, string? experimentId = null, IReadOnlyDictionary<string, string>? tags = null, string? parentRunId = null, CancellationToken cancellationToken = default) =>
            new FakeActiveRun();
    }

    private sealed class FakeActiveRun : ActiveRun
    {
        public List<(string Key, double Value)> Metrics { get; } = [];

        public override string RunId => FakeInfo.RunId;

        public override void LogMetric(string key, double value, long? step = null, long? timestamp = null, CancellationToken cancellationToken = default) =>
            Metrics.Add((key, value));

        protected override void Dispose(bool disposing)
        {
        }
    }

    private sealed class FakeRegistryClient : ModelRegistryClient
    {
        public override ModelVersion GetModelVersionByAlias(string name, string alias, CancellationToken cancellationToken = default) =>
            new(name, "7", 1, 1, "", "runs:/r/model", "r", ModelVersionStatus.Ready, new Dictionary<string, string>(), [alias]);
    }
}
