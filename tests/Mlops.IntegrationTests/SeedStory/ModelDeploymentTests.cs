using Mlops.Tracking;
using Mlops.Tracking.Models;
using Mlops.Training;
using Mlops.Training.Tracking;
using RecommendationEngine;
using RecommendationEngine.Training;

namespace Mlops.IntegrationTests.SeedStory;

/// <summary>
/// The seed DAG's model_deployment: every trained model becomes a version of <c>recsys</c>, and <c>@champion</c> moves
/// only to a version whose evaluated accuracy beats the champion's, so a server following the alias only ever moves up.
/// </summary>
public sealed class ModelDeploymentTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mlops-seed-deploy-" + Guid.NewGuid().ToString("N"));

    public ModelDeploymentTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void The_champion_alias_moves_only_to_a_better_model()
    {
        using var tracking = new TrackingClient("sqlite:///" + Path.Combine(_root, "mlruns.db")) { Flavors = ModelFlavorRegistry.Create(new TorchSharpModelFlavor()) };

        var first = ModelDeployment.Deploy(tracking, TrainedRun(tracking, seed: 1, accuracy: 0.78), 0.78);
        Assert.True(first.Promoted);
        Assert.Equal(("1", "1"), (first.Version, first.ChampionVersion));
        Assert.Contains("first @champion", first.Summary, StringComparison.Ordinal);

        var worse = ModelDeployment.Deploy(tracking, TrainedRun(tracking, seed: 2, accuracy: 0.75), 0.75);
        Assert.False(worse.Promoted);
        Assert.Equal(("2", "1"), (worse.Version, worse.ChampionVersion));
        Assert.Equal("1", tracking.Registry.GetModelVersionByAlias("recsys", "champion").Version);

        var tie = ModelDeployment.Deploy(tracking, TrainedRun(tracking, seed: 3, accuracy: 0.78), 0.78);
        Assert.False(tie.Promoted);

        var better = ModelDeployment.Deploy(tracking, TrainedRun(tracking, seed: 4, accuracy: 0.81), 0.81);
        Assert.True(better.Promoted);
        Assert.Equal("4", tracking.Registry.GetModelVersionByAlias("recsys", "champion").Version);
        Assert.Contains("from v1", better.Summary, StringComparison.Ordinal);

        // The champion is servable as logged: its manifest carries the signature a server publishes.
        using var loaded = tracking.LoadModel("models:/recsys@champion");
        var input = Assert.Single(loaded.Manifest.Signature!.Inputs);
        Assert.Equal((ModelSignatures.Input, "float32"), (input.Name, input.DType));
        Assert.Equal([-1L, 3], input.Shape!);
    }

    private static string TrainedRun(TrackingClient tracking, int seed, double accuracy)
    {
        using var model = Sequential.Input(3).Dense(4, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: seed).Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy);
        using var run = tracking.StartRun("model_training");
        run.LogModel(model, "model", ModelSignatures.ForFeatures(3));
        run.LogMetric(ModelDeployment.Metric, accuracy);
        return run.RunId;
    }
}
