using Mlops.Distributed.Launch;
using Mlops.Distributed.Tests.Collectives;

namespace Mlops.Distributed.Tests.Launch;

/// <summary>
/// Issue 12, fault 4: when a rank stalls, the rank that notices (it times out waiting) exits first, but the launcher's
/// report names the stalled rank, from the error files the workers write (torchelastic's root-cause report).
/// </summary>
public class RootCauseTests
{
    private static readonly TimeSpan TestDeadline = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task TheReportNamesTheRankThatStalledNotTheOneThatTimedOut(int processCount)
    {
        var output = new StringWriter();
        using var deadline = new CancellationTokenSource(TestDeadline);
        var result = await new LocalLauncher(new LaunchOptions
        {
            FileName = "dotnet",
            Arguments = [WorkerProcesses.WorkerPath, "stall"],
            ProcessCount = processCount,
            MaxRestarts = 0,
            StopGracePeriod = TimeSpan.FromSeconds(2),
            Environment = new Dictionary<string, string> { ["MLOPS_TEST_TIMEOUT_MS"] = "2000" },
        }, output).RunAsync(deadline.Token);
        var text = output.ToString();

        Assert.False(result.Succeeded, text);
        Assert.Contains("[rank 1] STALLING", text, StringComparison.Ordinal);
        Assert.Contains("CollectiveTimeoutException", text, StringComparison.Ordinal);
        Assert.True(result.FailedRank == 1, text);
        Assert.Contains("rank 1 is the root cause: it wrote no error while rank", result.Summary(), StringComparison.Ordinal);
        Assert.Contains("[launcher] Giving up after 1 attempt(s): rank 1 is the root cause", text, StringComparison.Ordinal);
        Assert.Equal("Mlops.Distributed.Collectives.CollectiveTimeoutException", result.FailedError?.ExceptionType);
        Assert.Equal(1, result.FailedExitCode);
    }

    [Fact]
    public void AWorkerRecordsItsErrorOnceInTheFileTheLauncherNames()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlops-error-{Guid.NewGuid():N}.json");
        var previous = Environment.GetEnvironmentVariable(WorkerErrorFile.EnvironmentVariable);
        Environment.SetEnvironmentVariable(WorkerErrorFile.EnvironmentVariable, path);
        try
        {
            Assert.True(WorkerErrorFile.Record(new Mlops.Distributed.Collectives.CollectiveTimeoutException("waited for rank 3", 2, 3, null)));
            Assert.False(WorkerErrorFile.Record(new InvalidOperationException("later")));
            var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            Assert.Equal((2, 3, "waited for rank 3"), (json.GetProperty("rank").GetInt32(), json.GetProperty("faulty_rank").GetInt32(), json.GetProperty("message").GetString()));
            Assert.Equal("Mlops.Distributed.Collectives.CollectiveTimeoutException", json.GetProperty("exception_type").GetString());
            Assert.True(json.TryGetProperty("timestamp", out _));
        }
        finally
        {
            Environment.SetEnvironmentVariable(WorkerErrorFile.EnvironmentVariable, previous);
            File.Delete(path);
        }
    }
}
