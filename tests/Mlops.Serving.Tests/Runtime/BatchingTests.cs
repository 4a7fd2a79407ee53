using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mlops.Serving.Inference;
using Mlops.Serving.Tests.Runtime.Support;

namespace Mlops.Serving.Tests.Runtime;

public sealed class BatchingTests : IAsyncLifetime
{
    private readonly ServingTestBed _bed = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Concurrent_requests_are_merged_into_full_batches_and_each_gets_back_only_its_own_rows()
    {
        var version = _bed.LogTorch(seed: 1);
        var host = await _bed.StartAsync(o => o.AddModel("recsys", $"models:/recsys/{version}")

            // A batch goes only when full (the minute never passes here), so 64 one-row requests make 8 batches of 8.
            .WithBatching(maxBatchSize: 8, maxBatchTime: TimeSpan.FromMinutes(1)));
        using var batches = new MeasurementLog(host, "model_infer_batch_size");
        var rows = ServingTestBed.Rows(64, seed: 11);
        var expected = _bed.Expected("recsys", version, rows);
        var service = host.Inference();

        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Task.Run(async () => await service.InferAsync("recsys", null, ServingTestBed.Request([rows[i]], id: $"r-{i}")))));

        for (var i = 0; i < 64; i++)
        {
            Assert.Equal($"r-{i}", responses[i].Id);
            ServingTestBed.AssertRows([expected[i]], ServingTestBed.Rows(responses[i]));
        }

        Assert.Equal(Enumerable.Repeat(8L, 8), batches.Values.Select(v => v.Value));
    }

    [Fact]
    public async Task A_bad_request_in_a_concurrent_batch_fails_alone()
    {
        var folder = GatedFlavor.WriteModel(_bed.Folder.Combine("gated"));
        var host = await _bed.StartAsync(o => o.AddModel("double", folder).WithBatching(4, TimeSpan.FromMinutes(1)));
        var service = host.Inference();
        using var batches = new MeasurementLog(host, "model_infer_batch_size");
        InferenceRequest Request(float value, string id) => new([InferenceTensor.Create("x", [1], new[] { value })], id);

        // The wrong shape never joins a batch; the NaN passes validation, fails the merged pass, and then fails alone.
        var wrongShape = service.InferAsync("double", null, new InferenceRequest([InferenceTensor.Create("x", [1, 2], new[] { 1f, 2f })])).AsTask();
        var calls = new[] { Request(1, "a"), Request(float.NaN, "bad"), Request(3, "c"), Request(4, "d") }
            .Select(r => Task.Run(async () => await service.InferAsync("double", null, r))).ToArray();

        Assert.Equal(InferenceErrorKind.InvalidRequest, (await Assert.ThrowsAsync<InferenceException>(() => wrongShape)).Kind);
        var nan = await Assert.ThrowsAsync<InferenceException>(() => calls[1]);
        Assert.Equal(InferenceErrorKind.InvalidRequest, nan.Kind);
        Assert.Contains("NaN", nan.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { 2f }, (await calls[0]).Outputs[0].GetData<float>());
        Assert.Equal(new[] { 6f }, (await calls[2]).Outputs[0].GetData<float>());
        Assert.Equal(new[] { 8f }, (await calls[3]).Outputs[0].GetData<float>());
        Assert.Equal(new[] { 1L, 1, 1 }, batches.Values.Select(v => v.Value).Order());
    }

    [Fact]
    public async Task A_full_queue_answers_unavailable_with_retry_after_and_the_queued_requests_still_complete()
    {
        var folder = GatedFlavor.WriteModel(_bed.Folder.Combine("gated"));
        var host = await _bed.StartAsync(o => o.AddModel("double", folder).MaxQueueLength = 2);
        var service = host.Inference();
        InferenceRequest Request(float value) => new([InferenceTensor.Create("x", [1], new[] { value })]);

        _bed.Gated.Close();
        var running = service.InferAsync("double", null, Request(1)).AsTask();
        Assert.True(await _bed.Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30)));
        var queued = new[] { service.InferAsync("double", null, Request(2)).AsTask(), service.InferAsync("double", null, Request(3)).AsTask() };

        var full = await Assert.ThrowsAsync<InferenceException>(async () => await service.InferAsync("double", null, Request(4)));
        Assert.Equal(InferenceErrorKind.Unavailable, full.Kind);
        Assert.NotNull(full.RetryAfter);
        Assert.Contains("MaxQueueLength", full.Message, StringComparison.Ordinal);

        _bed.Gated.Open();
        Assert.Equal(new[] { 2f }, (await running).Outputs[0].GetData<float>());
        Assert.Equal(new[] { 4f }, (await queued[0]).Outputs[0].GetData<float>());
        Assert.Equal(new[] { 6f }, (await queued[1]).Outputs[0].GetData<float>());
    }

    [Fact]
    public async Task A_request_past_the_request_timeout_fails_with_timeout_and_the_queue_depth_returns_to_zero()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var folder = GatedFlavor.WriteModel(_bed.Folder.Combine("gated"));
        var host = await _bed.StartAsync(
            o =>
            {
                o.RequestTimeout = TimeSpan.FromSeconds(5);
                o.AddModel("double", folder);
            },
            services => services.AddSingleton<TimeProvider>(time));
        using var depth = new MeasurementLog(host, "model_infer_queue_depth");
        var service = host.Inference();
        InferenceRequest Request(float value) => new([InferenceTensor.Create("x", [1], new[] { value })]);

        _bed.Gated.Close();
        var running = service.InferAsync("double", null, Request(1)).AsTask();
        Assert.True(await _bed.Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30)));
        var waiting = service.InferAsync("double", null, Request(2)).AsTask();
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(InferenceErrorKind.Timeout, (await Assert.ThrowsAsync<InferenceException>(() => running)).Kind);
        Assert.Equal(InferenceErrorKind.Timeout, (await Assert.ThrowsAsync<InferenceException>(() => waiting)).Kind);
        _bed.Gated.Open();
        Assert.Equal(new[] { 6f }, (await service.InferAsync("double", null, Request(3))).Outputs[0].GetData<float>());
        Assert.Equal(0, depth.Values.Sum(v => v.Value));
    }
}
