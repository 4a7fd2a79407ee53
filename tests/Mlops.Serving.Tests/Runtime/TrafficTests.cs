using Microsoft.Extensions.DependencyInjection;
using Mlops.Serving.Inference;
using Mlops.Serving.Routing;
using Mlops.Serving.Tests.Runtime.Support;

namespace Mlops.Serving.Tests.Runtime;

public sealed class TrafficTests : IAsyncLifetime
{
    private readonly ServingTestBed _bed = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private static InferenceRequest Request(float value) => new([InferenceTensor.Create("x", [1], new[] { value })]);

    private Task<Microsoft.Extensions.Hosting.IHost> StartAsync(int seed, Action<ServingOptions>? more = null) => _bed.StartAsync(
        o =>
        {
            o.AddModel("a", GatedFlavor.WriteModel(_bed.Folder.Combine("a")));
            o.AddModel("b", GatedFlavor.WriteModel(_bed.Folder.Combine("b")));
            o.Experiments["ab"] = new TrafficExperimentOptions { Candidates = { ["a"] = 3, ["b"] = 1 }, Default = "a" };
            more?.Invoke(o);
        },
        services => services.AddSingleton(new TrafficRandom(new Random(seed))));

    [Fact]
    public async Task Candidates_are_drawn_by_weight_from_the_injected_randomness_and_answer_under_their_own_name()
    {
        var service = (await StartAsync(seed: 42)).Inference();
        var replay = new Random(42);
        for (var i = 0; i < 200; i++)
        {
            var context = new InferenceCallContext();
            var response = await service.InferAsync("ab", null, Request(i), context);
            var expected = replay.NextDouble() * 4 < 3 ? "a" : "b";
            Assert.Equal(expected, response.ModelName);
            Assert.Equal(expected, context.Route);
            Assert.Equal(new[] { 2f * i }, response.Outputs[0].GetData<float>());
        }

        Assert.Equal(InferenceErrorKind.ModelNotFound, (await Assert.ThrowsAsync<InferenceException>(async () => await service.InferAsync("ab", "1", Request(1)))).Kind);
        var metadata = await service.GetModelMetadataAsync("ab", null);
        Assert.Equal(("ab", "gated", "x"), (metadata.Name, metadata.Platform, metadata.Inputs[0].Name));
    }

    [Fact]
    public async Task A_sticky_route_is_honoured_while_its_candidate_is_ready_and_the_default_answers_otherwise()
    {
        var service = (await StartAsync(seed: 1)).Inference();
        for (var i = 0; i < 20; i++)
        {
            var context = new InferenceCallContext { RequestedRoute = "b" };
            Assert.Equal("b", (await service.InferAsync("ab", null, Request(1), context)).ModelName);
            Assert.Equal("b", context.Route);
        }

        var unknown = new InferenceCallContext { RequestedRoute = "zzz" };
        var drawn = (await service.InferAsync("ab", null, Request(1), unknown)).ModelName;
        Assert.Equal(drawn, unknown.Route);

        await service.UnloadModelAsync("b");
        for (var i = 0; i < 20; i++)
        {
            var context = new InferenceCallContext { RequestedRoute = "b" };
            Assert.Equal("a", (await service.InferAsync("ab", null, Request(1), context)).ModelName);
            Assert.Equal("a", context.Route);
        }
    }

    [Fact]
    public async Task Mirror_errors_never_reach_the_caller_and_are_counted_as_the_mirrors_failures()
    {
        var version = _bed.LogTorch(seed: 1);
        var host = await StartAsync(seed: 3, o =>
        {
            // The mirror takes other inputs, so every copy it gets fails.
            o.AddModel("shadow", $"models:/recsys/{version}");
            o.Experiments["ab"].Mirror = "shadow";
            o.Experiments["ab"].MirrorPercent = 100;
        });
        using var failures = new MeasurementLog(host, "model_infer_request_failure");
        var mirrored = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Runtime().MirrorCompleted += (_, error) => mirrored.TrySetResult(error);

        var response = await host.Inference().InferAsync("ab", null, Request(4));

        Assert.Equal(new[] { 8f }, response.Outputs[0].GetData<float>());
        var error = Assert.IsType<InferenceException>(await mirrored.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(InferenceErrorKind.InvalidRequest, error.Kind);
        var (count, tags) = Assert.Single(failures.Values);
        Assert.Equal((1L, "shadow", "invalid_request"), (count, (string?)tags["model"], (string?)tags["reason"]));
    }
}
