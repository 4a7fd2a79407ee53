using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mlops.Features;
using Mlops.Pipelines;
using Mlops.Storage;
using Mlops.Tracking;
using Mlops.Tracking.Registry;
using Mlops.Training.Distributed;
using Mlops.Training.Tracking;
using RecommendationEngine;

namespace Mlops.IntegrationTests.SeedStory;

/// <summary>
/// The sample composes every package through the one host builder: its host resolves each package's services from
/// the <c>Mlops:*</c> values the command line maps, and a bad value fails when the host starts, naming the key.
/// </summary>
public sealed class SampleHostTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mlops-seed-host-" + Guid.NewGuid().ToString("N"));

    public SampleHostTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void The_sample_host_resolves_every_package_from_its_configuration()
    {
        var database = Path.Combine(_root, "mlruns.db");
        var pipelines = Path.Combine(_root, "pipelines.db");
        using var host = SampleHost.Start(
            Settings((SampleHost.TrackingUriKey, "sqlite:///" + database), (SampleHost.PipelinesStoreKey, pipelines), ("Mlops:Features:DegreeOfParallelism", "3")),
            options => options.AddDag(services => SeedPipeline.Build(services, Path.Combine(_root, "data"), Path.Combine(_root, "features"))));
        var services = host.Services;

        // Frames read through the host's storage, with the configured parallelism.
        var session = services.GetRequiredService<FrameSession>();
        Assert.Same(services.GetRequiredService<StorageResolver>(), session.Resolver);
        Assert.Equal(3, session.DegreeOfParallelism);

        // Tracking opens the configured store, with the TorchSharp flavor among its flavors, and its registry is the container's.
        var tracking = services.GetRequiredService<TrackingClient>();
        Assert.Same(tracking.Registry, services.GetRequiredService<ModelRegistryClient>());
        Assert.Contains(tracking.Flavors.All, f => f is TorchSharpModelFlavor);
        var experimentId = tracking.GetOrCreateExperiment(PrepareTracking.Experiment);
        Assert.True(File.Exists(database), "the tracking store is the file Mlops:Tracking:TrackingUri names");

        // Pipelines: the seed's DAG is registered and the executor runs on the configured SQLite store.
        Assert.NotNull(services.GetRequiredService<PipelineExecutor>());
        Assert.IsType<SqlitePipelineStore>(services.GetRequiredService<IPipelineStore>());
        Assert.True(File.Exists(pipelines), "the pipeline store is the file Mlops:Pipelines:Store:Path names");
        var dag = services.GetRequiredService<DagRegistry>().Get(SeedPipeline.DagId);
        Assert.Equal(["data_preprocessing", "model_training", "model_evaluation", "model_deployment"], dag.Tasks.Select(t => t.TaskId));

        // The same store is what a client opened without a host sees.
        host.Dispose();
        using var reopened = new TrackingClient("sqlite:///" + database);
        Assert.Equal(experimentId, reopened.GetExperimentByName(PrepareTracking.Experiment)!.ExperimentId);
    }

    [Fact]
    public void A_worker_host_joins_the_job_from_the_container_and_tracks_through_its_client()
    {
        // No cluster variables in a test process: a single worker, the chief, with no sockets.
        using var host = SampleHost.StartWorker(Settings((SampleHost.TrackingUriKey, "sqlite:///" + Path.Combine(_root, "worker.db")), (SampleHost.TrainingSeedKey, "7")));

        var strategy = host.Services.GetRequiredService<MultiWorkerMirroredStrategy>();
        Assert.True(strategy.IsChief);
        Assert.Equal(7, host.Services.GetRequiredService<IOptions<MultiWorkerMirroredStrategyOptions>>().Value.Seed);
        Assert.NotNull(host.Services.GetRequiredService<FrameSession>());
        Assert.Contains(host.Services.GetRequiredService<TrackingClient>().Flavors.All, f => f is TorchSharpModelFlavor);
    }

    [Theory]
    [InlineData(SampleHost.TrackingUriKey, "ftp://example.com/mlruns", typeof(TrackingOptions), "Mlops:Tracking:TrackingUri")]
    [InlineData("Mlops:Tracking:AsyncQueueCapacity", "0", typeof(TrackingOptions), "AsyncQueueCapacity")]
    [InlineData("Mlops:Features:DegreeOfParallelism", "0", typeof(FeaturesOptions), "DegreeOfParallelism")]
    [InlineData(SampleHost.PipelinesStoreKey, " ", typeof(PipelineOptions), "Mlops:Pipelines:Store:Path")]
    public void A_bad_value_fails_when_the_host_starts_naming_the_key(string key, string value, Type optionsType, string named)
    {
        var settings = Settings((SampleHost.TrackingUriKey, "sqlite:///" + Path.Combine(_root, "mlruns.db")), (SampleHost.PipelinesStoreKey, Path.Combine(_root, "pipelines.db")));
        settings[key] = value;

        var error = Assert.Throws<OptionsValidationException>(() => SampleHost.Start(settings).Dispose());

        Assert.Equal(optionsType, error.OptionsType);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "mlruns.db")), "nothing is opened before the options are valid");
    }

    [Fact]
    public async Task The_command_line_reports_a_bad_tracking_uri_at_start_naming_the_key()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { typeof(SampleHost).Assembly.Location, "prepare", "--data", Path.Combine(_root, "data"), "--out", Path.Combine(_root, "features"), "--tracking-uri", "ftp://example.com/mlruns" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, process.ExitCode);
        var errors = await stderr;
        Assert.Contains("error: ", errors, StringComparison.Ordinal);
        Assert.Contains("Mlops:Tracking:TrackingUri 'ftp://example.com/mlruns' is not supported", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("prepare:", await stdout, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] values) =>
        values.ToDictionary(v => v.Key, v => (string?)v.Value, StringComparer.Ordinal);
}
