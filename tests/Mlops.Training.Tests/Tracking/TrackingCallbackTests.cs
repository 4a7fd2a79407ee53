using Mlops.Tracking;
using Mlops.Tracking.Models;
using Mlops.Training.Callbacks;
using Mlops.Training.Data;
using Mlops.Training.Tests.Distributed;
using Mlops.Training.Tracking;
using Metric = Mlops.Training.Metric;

namespace Mlops.Training.Tests.Tracking;

public sealed class TrackingCallbackTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mlops-training-tracking").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Logs_parameters_epoch_metrics_and_a_model_that_loads_back_and_predicts_the_same()
    {
        var (features, labels) = Data(512, 4, seed: 3);
        var train = Dataset.FromArrays(features, labels).Batch(64);
        var validation = Dataset.FromArrays(features[..128], labels[..128]).Batch(64);
        using var model = Sequential.Input(4).Dense(8, Activation.Relu).Dense(1, Activation.Sigmoid)
            .Build(seed: 5)
            .Compile(Optimizer.Adam(0.01), Loss.BinaryCrossEntropy, Metric.Accuracy);
        using var tracking = new TrackingClient("sqlite:///" + Path.Combine(_root, "mlruns.db"));
        using var callback = new TrackingCallback(tracking, new TrackingCallbackOptions
        {
            ExperimentName = "tests",
            RunName = "train",
            Parameters = new Dictionary<string, object?> { ["seed"] = 5 },
            LogModel = true,
            RegisteredModelName = "recsys",
        });
        var history = model.Fit(train, epochs: 3, validation: validation, callbacks: [callback], verbose: Verbosity.Silent);
        var runId = callback.Run!.RunId;

        var run = tracking.GetRun(runId);
        Assert.Equal(RunStatus.Finished, run.Info.Status);
        Assert.Equal(tracking.GetExperimentByName("tests")!.ExperimentId, run.Info.ExperimentId);
        Assert.Equal("5", run.Data.Params["seed"]);
        var parameters = run.Data.Params;
        Assert.Equal("adam", parameters["optimizer_name"]);
        Assert.Equal("0.01", parameters["learning_rate"]);
        Assert.Equal("3", parameters["epochs"]);
        Assert.Equal("64", parameters["batch_size"]);
        Assert.Equal("1", parameters["num_replicas"]);
        Assert.Equal(model.ParameterCount.ToString(System.Globalization.CultureInfo.InvariantCulture), parameters["parameter_count"]);
        Assert.Equal("binary_crossentropy", parameters["loss"]);

        foreach (var key in new[] { "loss", "accuracy", "val_loss", "val_accuracy" })
        {
            var logged = tracking.GetMetricHistory(runId, key).OrderBy(m => m.Step).ToList();
            Assert.Equal([0L, 1L, 2L], logged.Select(m => m.Step));
            Assert.Equal(history[key], logged.Select(m => m.Value));
        }

        Assert.NotNull(callback.LoggedModel);
        Assert.Equal("1", callback.LoggedModel!.RegisteredVersion?.Version);
        using var loaded = tracking.LoadModel($"runs:/{runId}/model");
        Assert.Equal(TorchSharpModelFlavor.FlavorName, loaded.Flavor);
        var predictor = Assert.IsAssignableFrom<IColumnPredictor>(loaded);
        var expected = model.Predict(features[..10]).Select(p => p[0]).ToArray();
        var actual = (float[])predictor.Predict(new Dictionary<string, Array> { ["features"] = features[..10] })["prediction"];
        Assert.Equal(expected, actual);
        using var fromRegistry = tracking.LoadModel("models:/recsys/1");
        Assert.Equal(TorchSharpModelFlavor.FlavorName, fromRegistry.Flavor);
    }

    [Fact]
    public void Wrong_width_rows_given_to_the_loaded_predictor_are_refused_naming_the_row()
    {
        var (features, labels) = Data(64, 3, seed: 1);
        using var model = Sequential.Input(3).Dense(1, Activation.Sigmoid).Build(seed: 2).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);
        model.Fit(Dataset.FromArrays(features, labels).Batch(32), verbose: Verbosity.Silent);
        using var tracking = new TrackingClient("sqlite:///" + Path.Combine(_root, "mlruns.db")) { Flavors = ModelFlavorRegistry.Create(new TorchSharpModelFlavor()) };
        using var run = tracking.StartRun("train");
        run.LogModel(model);
        using var loaded = tracking.LoadModel($"runs:/{run.RunId}/model");
        var predictor = Assert.IsAssignableFrom<IColumnPredictor>(loaded);
        var error = Assert.Throws<ArgumentException>(() => predictor.Predict(new Dictionary<string, Array> { ["features"] = new[] { new float[3], new float[2] } }));
        Assert.Contains("row 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 values per row", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_the_defaults_a_model_logged_after_Fit_is_logged_once()
    {
        var (features, labels) = Data(64, 3, seed: 4);
        using var model = Sequential.Input(3).Dense(1, Activation.Sigmoid).Build(seed: 2).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);
        using var tracking = new TrackingClient("sqlite:///" + Path.Combine(_root, "mlruns.db")) { Flavors = ModelFlavorRegistry.Create(new TorchSharpModelFlavor()) };
        using var callback = new TrackingCallback(tracking);
        model.Fit(Dataset.FromArrays(features, labels).Batch(32), epochs: 2, callbacks: [callback], verbose: Verbosity.Silent);
        Assert.Null(callback.LoggedModel);
        callback.Run!.LogModel(model);

        var tags = tracking.GetRun(callback.Run.RunId).Data.Tags;
        var history = System.Text.Json.Nodes.JsonNode.Parse(tags[MlflowTags.LoggedModels])!.AsArray();
        Assert.Single(history);
        Assert.Equal(2, tracking.GetMetricHistory(callback.Run.RunId, "loss").Count);
    }

    [Fact]
    public void A_registered_model_name_without_LogModel_is_refused_when_the_callback_is_made()
    {
        using var tracking = new TrackingClient("sqlite:///" + Path.Combine(_root, "mlruns.db"));
        var error = Assert.Throws<ArgumentException>(() => new TrackingCallback(tracking, new TrackingCallbackOptions { RegisteredModelName = "recsys" }));
        Assert.Contains("LogModel", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Fit_that_throws_leaves_the_run_failed_once_the_callback_is_disposed()
    {
        var (features, labels) = Data(64, 3, seed: 4);
        using var model = Sequential.Input(3).Dense(1, Activation.Sigmoid).Build(seed: 2).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);
        var uri = "sqlite:///" + Path.Combine(_root, "mlruns.db");
        string runId;
        using (var callback = new TrackingCallback(uri))
        {
            Assert.Throws<ArgumentException>(() => model.Fit(Dataset.FromArrays(features, labels).Batch(32), epochs: 1, callbacks: [callback, new ThrowOnEpochEnd()], verbose: Verbosity.Silent));
            runId = callback.Run!.RunId;
            Assert.False(callback.Run.IsEnded);
        }

        using var tracking = new TrackingClient(uri);
        Assert.Equal(RunStatus.Failed, tracking.GetRun(runId).Info.Status);
    }

    [Fact]
    public void Two_replicas_give_one_run_logged_by_the_chief()
    {
        var database = Path.Combine(_root, "replicas.db");
        using (var job = new StrategyProcesses(2, "tracking-fit", [database]))
        {
            StrategyCollectivesTests.AssertAllSucceeded(job.WaitAll(TimeSpan.FromSeconds(120)));
        }

        using var tracking = new TrackingClient("sqlite:///" + database);
        var experiment = tracking.GetExperimentByName("replicas")!;
        var run = Assert.Single(tracking.SearchRuns([experiment.ExperimentId]));
        Assert.Equal(RunStatus.Finished, run.Info.Status);
        Assert.Equal("2", run.Data.Params["num_replicas"]);
        Assert.Equal([0L, 1L], tracking.GetMetricHistory(run.Info.RunId, "loss").Select(m => m.Step).Order());
    }

    private sealed class ThrowOnEpochEnd : Mlops.Training.Callbacks.Callback
    {
        public override void OnEpochEnd(int epoch, Mlops.Training.Callbacks.TrainingLogs logs) =>
            throw new ArgumentException("stop here");
    }

    private static (float[][] Features, float[] Labels) Data(int rows, int width, int seed)
    {
        var random = new Random(seed);
        var features = new float[rows][];
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            features[r] = Enumerable.Range(0, width).Select(_ => (float)random.NextDouble()).ToArray();
            labels[r] = features[r][0] > 0.5f ? 1 : 0;
        }

        return (features, labels);
    }
}
