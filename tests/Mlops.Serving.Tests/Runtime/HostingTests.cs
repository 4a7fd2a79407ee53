using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mlops.Serving.Inference;
using Mlops.Serving.Tests.Runtime.Support;
using Mlops.Tracking;

namespace Mlops.Serving.Tests.Runtime;

public sealed class HostingTests : IAsyncLifetime
{
    private readonly ServingTestBed _bed = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private sealed class EntityFeatures : IInferenceRequestEnricher
    {
        public List<string> Models { get; } = [];

        // Looks the entity's feature up (here: the id itself) and hands the model the input it takes.
        public ValueTask<InferenceRequest> EnrichAsync(string model, InferenceRequest request, CancellationToken cancellationToken)
        {
            lock (Models)
            {
                Models.Add(model);
            }

            var ids = request.Inputs.Single(i => i.Name == "entity_id").GetData<long>();
            return ValueTask.FromResult(new InferenceRequest([InferenceTensor.Create("x", [ids.Length], ids.Select(id => (float)id).ToArray())], request.Id));
        }
    }

    [Fact]
    public async Task Enrichers_from_the_container_complete_the_request_before_validation()
    {
        var enricher = new EntityFeatures();
        var host = await _bed.StartAsync(o => o.AddModel("double", GatedFlavor.WriteModel(_bed.Folder.Combine("gated"))), s => s.AddSingleton<IInferenceRequestEnricher>(enricher));

        var response = await host.Inference().InferAsync("double", null, new InferenceRequest([InferenceTensor.Create("entity_id", [2], new[] { 3L, 5L })], "e-1"));

        Assert.Equal(new[] { 6f, 10f }, response.Outputs[0].GetData<float>());
        Assert.Equal("e-1", response.Id);
        Assert.Equal(new[] { "double" }, enricher.Models);
    }

    [Fact]
    public async Task The_in_process_predictor_batches_float_rows_like_the_service()
    {
        var version = _bed.LogTorch(seed: 5);
        var host = await _bed.StartAsync(o => o.AddModel("recsys", $"models:/recsys/{version}").WithBatching(16, TimeSpan.FromMilliseconds(1)));
        var predictor = new ModelPredictor(host.Inference(), "recsys");
        var rows = ServingTestBed.Rows(6, seed: 8);

        var outputs = await predictor.PredictAsync(rows);

        ServingTestBed.AssertRows(_bed.Expected("recsys", version, rows), outputs);
        var error = await Assert.ThrowsAsync<InferenceException>(async () => await predictor.PredictAsync([[1f, 2f]]));
        Assert.Contains("expected shape [-1,4], got [1,2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_host_starts_when_a_load_fails_and_readiness_and_the_index_say_why()
    {
        var version = _bed.LogTorch(seed: 1);
        var host = await _bed.StartAsync(o =>
        {
            o.AddModel("recsys", $"models:/recsys/{version}");
            o.AddModel("missing", "models:/nothing@champion");
        });
        var service = host.Inference();

        Assert.True(service.IsLive);
        Assert.False(service.IsReady);
        Assert.False(await service.IsModelReadyAsync("missing", null));
        Assert.True(await service.IsModelReadyAsync("recsys", null));
        var missing = (await service.GetRepositoryIndexAsync()).Single(m => m.Name == "missing");
        Assert.Equal(ModelState.Unavailable, missing.State);
        Assert.Contains("cannot resolve 'models:/nothing@champion'", missing.Reason, StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<InferenceException>(async () => await service.InferAsync("missing", null, ServingTestBed.Request(ServingTestBed.Rows(1, 1))));
        Assert.Equal(InferenceErrorKind.Unavailable, error.Kind);
        Assert.Contains("cannot resolve", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_tracking_the_host_fails_at_start_saying_to_add_it()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMlops().AddServing(o => o.AddModel("recsys", "models:/recsys@champion"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains(".AddTracking()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_options_fail_at_start_naming_each_option_path()
    {
        var host = await _bed.StartAsync(
            o =>
            {
                o.AddModel("bad", "models:/no-version-or-alias");
                o.AddModel("slow", "models:/recsys/1").MaxBatchTime = TimeSpan.Zero;
                o.AddModel("both", "models:/recsys/1");
                o.RequestTimeout = TimeSpan.Zero;
                o.Experiments["both"] = new TrafficExperimentOptions { Candidates = { ["slow"] = 1 }, Default = "slow" };
                o.Experiments["ab"] = new TrafficExperimentOptions
                {
                    Candidates = { ["ghost"] = 1, ["slow"] = 0 },
                    Default = "bad",
                    Mirror = "phantom",
                    MirrorPercent = 10,
                };
            },
            start: false);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        string[] expected =
        [
            "Mlops:Serving:Models:bad:Uri: Not a proper models:/ URI",
            "Mlops:Serving:Models:slow:MaxBatchTime must be positive",
            "Mlops:Serving:RequestTimeout must be positive",
            "Mlops:Serving:Models:both: 'both' is both a model and a traffic experiment",
            "Mlops:Serving:Experiments:ab:Candidates:ghost names no served model",
            "Mlops:Serving:Experiments:ab:Candidates:slow needs a positive weight",
            "Mlops:Serving:Experiments:ab:Default 'bad' is not one of its candidates",
            "Mlops:Serving:Experiments:ab:Mirror 'phantom' names no served model",
        ];
        foreach (var fragment in expected)
        {
            Assert.Contains(error.Failures, f => f.Contains(fragment, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Models_and_experiments_bind_from_the_Mlops_Serving_section()
    {
        var folder = GatedFlavor.WriteModel(_bed.Folder.Combine("gated"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mlops:Tracking:TrackingUri"] = _bed.TrackingUri,
            ["Mlops:Serving:ServerName"] = "edge",
            ["Mlops:Serving:Models:a:Uri"] = folder,
            ["Mlops:Serving:Models:a:MaxBatchSize"] = "4",
            ["Mlops:Serving:Models:a:MaxBatchTime"] = "00:00:00.001",
            ["Mlops:Serving:Experiments:main:Candidates:a"] = "1",
            ["Mlops:Serving:Experiments:main:Default"] = "a",
        }).Build();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<Mlops.Tracking.Models.IModelFlavor>(_bed.Gated);
        builder.Services.AddMlops(configuration).AddTracking().AddServing();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var service = host.Inference();
            Assert.Equal("edge", service.Metadata.Name);
            var context = new InferenceCallContext();
            var response = await service.InferAsync("main", null, new InferenceRequest([InferenceTensor.Create("x", [2], new[] { 1f, 2f })]), context);
            Assert.Equal(("a", "a"), (response.ModelName, context.Route));
            Assert.Equal(new[] { 2f, 4f }, response.Outputs[0].GetData<float>());
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
