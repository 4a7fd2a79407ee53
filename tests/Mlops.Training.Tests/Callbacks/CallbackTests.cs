using Microsoft.Extensions.Time.Testing;
using Mlops.Training.Callbacks;
using Mlops.Training.Runtime;
using Mlops.Training.Tests.Training;
using static TorchSharp.torch;
using Dataset = Mlops.Training.Data.Dataset;

namespace Mlops.Training.Tests.Callbacks;

public sealed class CallbackTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlops-callbacks").FullName;

    public CallbackTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Early_stopping_waits_patience_epochs_then_restores_the_best_weights()
    {
        using var model = Sequential.Input(2).Dense(1).Build(seed: 1).Compile(Optimizer.Sgd(), Loss.MeanSquaredError);
        var stopping = new EarlyStopping("val_loss", patience: 2, restoreBestWeights: true) { Model = model };
        stopping.OnTrainBegin(TrainingLogs.Empty);
        double[] losses = [1.0, 0.5, 0.6, 0.55, 0.4];
        var stoppedAt = -1;
        for (var epoch = 0; epoch < losses.Length && stoppedAt < 0; epoch++)
        {
            using (no_grad())
            {
                model.Flat.Values.fill_(epoch);
            }

            stopping.OnEpochEnd(epoch, TrainingLogs.Of(new Dictionary<string, double> { ["val_loss"] = losses[epoch] }));
            stoppedAt = model.StopTraining ? epoch : -1;
        }

        Assert.Equal(3, stoppedAt);
        Assert.Equal(3, stopping.StoppedEpoch);
        Assert.Equal(1, stopping.BestEpoch);
        Assert.Equal(0.5, stopping.Best);
        Assert.Equal(1f, model.Flat.Values.mean().item<float>());
    }

    [Fact]
    public void Early_stopping_in_fit_ends_training_when_the_loss_stops_moving()
    {
        var (features, labels) = TestData.Separable(64);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Build(seed: 1).Compile(Optimizer.Sgd(0), Loss.BinaryCrossEntropy, Metric.Accuracy);

        var history = model.Fit(Dataset.FromArrays(features, labels).Batch(16), epochs: 10, callbacks: [new EarlyStopping("loss", patience: 2)], verbose: Verbosity.Silent);

        Assert.Equal([0, 1, 2], history.Epochs);
        Assert.True(history.StoppedEarly);
        var missing = Assert.Throws<InvalidOperationException>(() => model.Fit(Dataset.FromArrays(features, labels).Batch(16), callbacks: [new EarlyStopping("val_auc")], verbose: Verbosity.Silent));
        Assert.Contains("monitors 'val_auc', which the logs do not have; they have: loss, accuracy", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reduce_on_plateau_lowers_the_rate_after_patience_and_cools_down()
    {
        using var model = Sequential.Input(2).Dense(1).Build().Compile(Optimizer.Sgd(1.0), Loss.MeanSquaredError);
        var reduce = new ReduceLROnPlateau("loss", factor: 0.5, patience: 2, cooldown: 1, minLearningRate: 0.2) { Model = model };
        reduce.OnTrainBegin(TrainingLogs.Empty);
        double[] losses = [1, 1, 1, 1, 1, 1, 1, 1];
        for (var epoch = 0; epoch < losses.Length; epoch++)
        {
            reduce.OnEpochEnd(epoch, TrainingLogs.Of(new Dictionary<string, double> { ["loss"] = losses[epoch] }));
        }

        // As Keras: the epoch that ends a cooldown already counts towards the next reduction.
        Assert.Equal([(2, 0.5), (4, 0.25), (6, 0.2)], reduce.Reductions);
        Assert.Equal(0.2, model.Optimizer!.LearningRate);
    }

    [Fact]
    public void A_schedule_sets_the_rate_of_every_epoch_and_the_hook_sees_it()
    {
        var (features, labels) = TestData.Separable(64);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Build(seed: 1).Compile(Optimizer.Adam(0.1), Loss.BinaryCrossEntropy, Metric.Accuracy);
        var hook = new RecordingHook();

        model.Fit(
            Dataset.FromArrays(features, labels).Batch(16),
            epochs: 3,
            callbacks: [new LearningRateScheduler((epoch, rate) => epoch == 0 ? rate : rate / 10), new TrainingHookCallback(hook)],
            verbose: Verbosity.Silent);

        Assert.Equal([0.1, 0.01, 0.001], hook.Epochs.Select(epoch => Math.Round(epoch.Metrics["lr"], 12)));
        Assert.Equal(["accuracy", "loss", "lr"], hook.Epochs[0].Metrics.Keys.Order());
        Assert.Equal("adam", hook.Parameters!["optimizer"]);
        Assert.Equal("0.1", hook.Parameters["learning_rate"]);
        Assert.Equal("16", hook.Parameters["batch_size"]);
        Assert.Equal("1", hook.Parameters["num_replicas"]);
        Assert.Equal("11", hook.Parameters["parameter_count"]);
        Assert.Equal("binary_crossentropy", hook.Parameters["loss"]);
        Assert.Equal("accuracy", hook.Parameters["metrics"]);
        Assert.Equal("4", hook.Parameters["steps_per_epoch"]);
        Assert.True(hook.Completed);
    }

    [Fact]
    public void Model_checkpoint_saves_every_epoch_or_only_the_best_under_a_formatted_name()
    {
        var (features, labels) = TestData.Separable(64);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Build(seed: 1).Compile(Optimizer.Adam(0.05), Loss.BinaryCrossEntropy, Metric.Accuracy);
        var every = new ModelCheckpoint(Path.Combine(_folder, "every-{epoch:02d}-{loss:.3f}"));
        var best = new ModelCheckpoint(Path.Combine(_folder, "best"), monitor: "loss", saveBestOnly: true);

        var history = model.Fit(Dataset.FromArrays(features, labels).Batch(16), epochs: 3, callbacks: [every, best], verbose: Verbosity.Silent);

        Assert.Equal(3, every.Saved.Count);
        Assert.EndsWith($"every-03-{history["loss"][2]:0.000}", every.Saved[2], StringComparison.Ordinal);
        using var last = Model.Load(every.Saved[2]);
        using var input = randn(5, 10);
        Assert.True(last.Predict(input).eq(model.Predict(input)).all().item<bool>());
        Assert.Equal(3, best.Saved.Count);
        Assert.True(File.Exists(Path.Combine(_folder, "best", "model.safetensors")));
    }

    [Fact]
    public void The_progress_bar_draws_a_Keras_bar_and_one_line_per_epoch_when_redirected()
    {
        var (features, labels) = TestData.Separable(64);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Build(seed: 1).Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy, Metric.Accuracy);
        var time = new FakeTimeProvider();
        var bar = new StringWriter();
        var lines = new StringWriter();
        var clock = new AdvanceClock(time, TimeSpan.FromMilliseconds(150));

        model.Fit(
            Dataset.FromArrays(features, labels).Batch(16),
            epochs: 2,
            validation: Dataset.FromArrays(features, labels).Batch(32),
            callbacks: [clock, new ProgressBar(Verbosity.ProgressBar, bar, time), new ProgressBar(Verbosity.OneLinePerEpoch, lines, time)],
            verbose: Verbosity.ProgressBar);

        var drawn = bar.ToString();
        Assert.Contains("Epoch 1/2", drawn, StringComparison.Ordinal);
        Assert.Contains("\r1/4 [=======>......................] - ETA: 0s - loss: ", drawn, StringComparison.Ordinal);
        Assert.Contains("4/4 [==============================] - 1s 150ms/step - loss: ", drawn, StringComparison.Ordinal);
        Assert.Contains(" - val_accuracy: ", drawn, StringComparison.Ordinal);
        Assert.Contains("samples/s", drawn, StringComparison.Ordinal);
        Assert.True(drawn.All(character => character < 128), "the bar is not plain ASCII");
        var perEpoch = lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, perEpoch.Length);
        Assert.StartsWith("Epoch 2/2 - 4/4 - 1s 150ms/step - loss: ", perEpoch[1], StringComparison.Ordinal);
        Assert.DoesNotContain('\r', lines.ToString());
    }

    [Fact]
    public void Verbosity_is_one_enum_and_values_outside_it_are_refused_naming_the_argument()
    {
        var (features, labels) = TestData.Separable(16);
        using var model = Sequential.Input(10).Dense(1, Activation.Sigmoid).Build(seed: 1).Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy);
        var train = Dataset.FromArrays(features, labels).Batch(16);

        var fit = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(train, verbose: (Verbosity)7));
        Assert.Equal("verbose", fit.ParamName);
        var silent = Assert.Throws<ArgumentOutOfRangeException>(() => new ProgressBar(Verbosity.Silent));
        Assert.Contains("leave it out", silent.Message, StringComparison.Ordinal);
        var probe = new VerbosityProbe();
        model.Fit(train, callbacks: [probe], verbose: Verbosity.Silent);
        Assert.Equal(Verbosity.Silent, probe.Seen);
    }

    private sealed class VerbosityProbe : Callback
    {
        public Verbosity? Seen { get; private set; }

        public override void OnTrainBegin(TrainingLogs logs) => Seen = Parameters.Verbose;
    }

    private sealed class AdvanceClock(FakeTimeProvider time, TimeSpan step) : Callback
    {
        public override void OnTrainBatchEnd(long batch, TrainingLogs logs) => time.Advance(step);
    }

    private sealed class RecordingHook : ITrainingHook
    {
        public IReadOnlyDictionary<string, string>? Parameters { get; private set; }

        public List<(int Epoch, IReadOnlyDictionary<string, double> Metrics)> Epochs { get; } = [];

        public bool Completed { get; private set; }

        public void OnTrainingStarted(Model model, IReadOnlyDictionary<string, string> parameters) => Parameters = parameters;

        public void OnEpochCompleted(int epoch, IReadOnlyDictionary<string, double> metrics) => Epochs.Add((epoch, metrics));

        public void OnTrainingCompleted(Model model, IReadOnlyDictionary<string, double> finalMetrics) => Completed = finalMetrics.ContainsKey("loss");
    }
}
