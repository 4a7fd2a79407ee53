using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mlops.Serving.Inference;
using Mlops.Serving.Tests.Runtime.Support;

namespace Mlops.Serving.Tests.Runtime;

public sealed class ReloadTests : IAsyncLifetime
{
    private readonly ServingTestBed _bed = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task While_clients_keep_calling_the_alias_moves_twice_with_no_failed_request_and_the_new_outputs_after_each_swap()
    {
        var versions = new[] { _bed.LogTorch(seed: 1), _bed.LogTorch(seed: 2), _bed.LogTorch(seed: 3) };
        _bed.Tracking.Registry.SetRegisteredModelAlias("recsys", "champion", versions[0]);
        var host = await _bed.StartAsync(o => o.AddModel("recsys", "models:/recsys@champion").WithBatching(4, TimeSpan.FromMilliseconds(1)));
        var service = host.Inference();
        var rows = ServingTestBed.Rows(2, seed: 9);
        var expected = versions.ToDictionary(v => v, v => _bed.Expected("recsys", v, rows));

        var answers = new ConcurrentQueue<(string? Version, float[][] Rows)>();
        var failures = new ConcurrentQueue<Exception>();
        var progress = new Progress();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var response = await service.InferAsync("recsys", null, ServingTestBed.Request(rows));
                    answers.Enqueue((response.ModelVersion, ServingTestBed.Rows(response)));
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                }

                progress.Increment();
            }
        })).ToArray();

        foreach (var next in versions.Skip(1))
        {
            await progress.WaitForAsync(progress.Count + 20);
            _bed.Tracking.Registry.SetRegisteredModelAlias("recsys", "champion", next);
            await service.LoadModelAsync("recsys");
            Assert.Equal(next, (await service.InferAsync("recsys", null, ServingTestBed.Request(rows))).ModelVersion);
        }

        await progress.WaitForAsync(progress.Count + 20);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        foreach (var (version, actual) in answers)
        {
            ServingTestBed.AssertRows(expected[version!], actual);
        }

        Assert.Contains(answers, a => a.Version == versions[2]);
        Assert.Equal(new RepositoryModel("recsys", versions[2], ModelState.Ready, null), Assert.Single(await service.GetRepositoryIndexAsync()));
    }

    [Fact]
    public async Task A_broken_new_version_keeps_the_old_one_serving_and_the_index_says_why()
    {
        var good = _bed.LogTorch(seed: 1);
        _bed.Tracking.Registry.SetRegisteredModelAlias("recsys", "champion", good);
        var host = await _bed.StartAsync(o => o.AddModel("recsys", "models:/recsys@champion"));
        var service = host.Inference();
        var broken = GatedFlavor.WriteModel(_bed.Folder.Combine("broken"), broken: true);
        var bad = _bed.Tracking.Registry.RegisterModel(broken, "recsys").Version;
        _bed.Tracking.Registry.SetRegisteredModelAlias("recsys", "champion", bad);

        var error = await Assert.ThrowsAsync<InferenceException>(async () => await service.LoadModelAsync("recsys"));
        Assert.Equal(InferenceErrorKind.ModelFailed, error.Kind);
        Assert.Contains("weights are corrupt", error.Message, StringComparison.Ordinal);

        var entry = Assert.Single(await service.GetRepositoryIndexAsync());
        Assert.Equal(("recsys", good, ModelState.Ready), (entry.Name, entry.Version, entry.State));
        Assert.Contains($"version {bad} failed to load, so version {good} keeps serving", entry.Reason, StringComparison.Ordinal);
        Assert.Contains("weights are corrupt", entry.Reason, StringComparison.Ordinal);
        Assert.True(service.IsReady);
        var rows = ServingTestBed.Rows(3, seed: 2);
        var response = await service.InferAsync("recsys", null, ServingTestBed.Request(rows));
        Assert.Equal(good, response.ModelVersion);
        ServingTestBed.AssertRows(_bed.Expected("recsys", good, rows), ServingTestBed.Rows(response));
    }

    [Fact]
    public async Task The_registry_poll_follows_a_moved_alias_on_the_time_provider()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var first = _bed.LogTorch(seed: 1);
        var second = _bed.LogTorch(seed: 2);
        _bed.Tracking.Registry.SetRegisteredModelAlias("recsys", "champion", first);
        var host = await _bed.StartAsync(
            o =>
            {
                o.RegistryPollInterval = TimeSpan.FromSeconds(30);
                o.AddModel("recsys", "models:/recsys@champion");
            },
            services => services.AddSingleton<TimeProvider>(time));
        var swapped = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Runtime().Models["recsys"].Swapped += (_, version) => swapped.TrySetResult(version);

        _bed.Tracking.Registry.SetRegisteredModelAlias("recsys", "champion", second);
        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(second, await swapped.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(second, (await host.Inference().InferAsync("recsys", null, ServingTestBed.Request(ServingTestBed.Rows(1, seed: 1)))).ModelVersion);
    }

    [Fact]
    public async Task Unload_refuses_new_requests_lets_the_one_in_flight_finish_then_disposes_and_load_brings_it_back()
    {
        var folder = GatedFlavor.WriteModel(_bed.Folder.Combine("gated"));
        var host = await _bed.StartAsync(o => o.AddModel("double", folder));
        var service = host.Inference();
        InferenceRequest Request(float value) => new([InferenceTensor.Create("x", [1], new[] { value })]);

        _bed.Gated.Close();
        var inFlight = service.InferAsync("double", null, Request(5)).AsTask();
        Assert.True(await _bed.Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30)));
        var unload = service.UnloadModelAsync("double").AsTask();

        var refused = await Assert.ThrowsAsync<InferenceException>(async () => await service.InferAsync("double", null, Request(1)));
        Assert.Equal(InferenceErrorKind.Unavailable, refused.Kind);
        Assert.Equal(ModelState.Unloading, Assert.Single(await service.GetRepositoryIndexAsync()).State);
        Assert.False(unload.IsCompleted);
        Assert.Equal(0, _bed.Gated.Disposed);

        _bed.Gated.Open();
        Assert.Equal(new[] { 10f }, (await inFlight).Outputs[0].GetData<float>());
        await unload.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, _bed.Gated.Disposed);
        Assert.Equal(new RepositoryModel("double", null, ModelState.Unavailable, "unloaded"), Assert.Single(await service.GetRepositoryIndexAsync()));
        Assert.False(service.IsReady);
        Assert.Empty(await service.GetRepositoryIndexAsync(readyOnly: true));

        await service.LoadModelAsync("double");
        Assert.True(service.IsReady);
        Assert.Equal(new[] { 2f }, (await service.InferAsync("double", null, Request(1))).Outputs[0].GetData<float>());
    }

    [Fact]
    public async Task Stopping_the_host_answers_every_queued_request()
    {
        var folder = GatedFlavor.WriteModel(_bed.Folder.Combine("gated"));
        var host = await _bed.StartAsync(o => o.AddModel("double", folder));
        var service = host.Inference();
        _bed.Gated.Close();
        var calls = Enumerable.Range(1, 3).Select(i => service.InferAsync("double", null, new InferenceRequest([InferenceTensor.Create("x", [1], new[] { (float)i })])).AsTask()).ToArray();
        Assert.True(await _bed.Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30)));

        var stopping = host.StopAsync();
        _bed.Gated.Open();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new[] { 2f, 4f, 6f }, (await Task.WhenAll(calls)).Select(r => r.Outputs[0].GetData<float>()[0]));
        Assert.Equal(1, _bed.Gated.Disposed);
        Assert.False(service.IsLive);
    }

    /// <summary>Counts the clients' requests and lets the test wait for a count, without sleeping.</summary>
    private sealed class Progress
    {
        private readonly Lock _lock = new();
        private readonly List<(int Target, TaskCompletionSource Done)> _waiters = [];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Increment()
        {
            lock (_lock)
            {
                _count++;
                foreach (var waiter in _waiters.Where(w => _count >= w.Target).ToList())
                {
                    waiter.Done.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }

        public Task WaitForAsync(int target)
        {
            lock (_lock)
            {
                if (_count >= target)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((target, done));
                return done.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
        }
    }
}
