namespace Mlops.Tracking.Tests.Server;

/// <summary>
/// The sync twins block on the REST store's async HTTP. That cannot deadlock a caller with a single-threaded
/// synchronization context (UI, old ASP.NET) only if no continuation is posted back to it: count the posts.
/// </summary>
public sealed class RestSyncTwinTests
{
    [Fact]
    public async Task Sync_twins_over_rest_never_post_to_the_callers_synchronization_context()
    {
        await using var server = await ServerHarness.StartAsync();
        using var tracking = new TrackingClient(server.Uri);
        var context = new CountingContext();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            var experimentId = tracking.CreateExperiment("sync-twins");
            string runId;
            using (var run = tracking.StartRun("r", experimentId))
            {
                runId = run.RunId;
                run.LogParam("p", 1);
                run.LogMetric("m", 2);
            }

            Assert.Equal(RunStatus.Finished, tracking.GetRun(runId).Info.Status);
            Assert.Single(tracking.SearchRuns([experimentId]));
            var version = tracking.Registry.RegisterModel($"runs:/{runId}/model", "sync-model");
            tracking.Registry.SetRegisteredModelAlias("sync-model", "champion", version.Version);
            Assert.Equal(version.Version, tracking.Registry.GetModelVersionByAlias("sync-model", "champion").Version);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        Assert.Equal(0, context.Posts);
    }

    private sealed class CountingContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            ThreadPool.QueueUserWorkItem(_ => d(state));
        }

        public override void Send(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            d(state);
        }
    }
}
