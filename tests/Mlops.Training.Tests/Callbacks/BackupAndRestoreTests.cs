using Mlops.Training.Callbacks;
using Mlops.Training.Distributed;
using Mlops.Training.Runtime;
using Mlops.Training.Tests.Training;
using static TorchSharp.torch;
using Dataset = Mlops.Training.Data.Dataset;

namespace Mlops.Training.Tests.Callbacks;

public sealed class BackupAndRestoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mlops-backup").FullName;

    public BackupAndRestoreTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, int?> Cases => new()
    {
        { "epochs", null },
        { "epochs", 2 },
        { "steps", null },
        { "steps", 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_restarted_job_ends_with_the_weights_of_an_uninterrupted_one(string epochDefinition, int? saveEveryBatches)
    {
        var (features, labels) = TestData.Separable(90);
        var data = Dataset.FromArrays(features, labels).Shuffle(90, seed: 3).Batch(10);
        if (epochDefinition == "steps")
        {
            data = data.Repeat();
        }

        int? steps = epochDefinition == "steps" ? 4 : null;
        using var straight = Build(seed: 1);
        straight.Fit(data, epochs: 4, stepsPerEpoch: steps, verbose: Verbosity.Silent);

        var backup = Path.Combine(_folder, "backup");
        using (var crashed = Build(seed: 1))
        {
            var crash = Assert.Throws<SimulatedCrash>(() => crashed.Fit(data, epochs: 4, stepsPerEpoch: steps, callbacks: [new BackupAndRestore(backup, saveEveryBatches), new CrashAt(epoch: 2, batch: 2)], verbose: Verbosity.Silent));
            Assert.NotNull(crash);
        }

        Assert.True(File.Exists(Path.Combine(backup, "backup.json")));
        using var resumed = Build(seed: 99);
        var restore = new BackupAndRestore(backup, saveEveryBatches);
        var history = resumed.Fit(data, epochs: 4, stepsPerEpoch: steps, callbacks: [restore], verbose: Verbosity.Silent);

        // Backups every N steps count steps from the start of Fit: the last one before the crash (epoch 2, after
        // batch 2) was after 20 of 9-batch epochs' steps (epoch 2, 2 done) or 9 of 4-step epochs' (epoch 2, 1 done).
        var expected = saveEveryBatches is null ? (2, 0L) : epochDefinition == "epochs" ? (2, 2L) : (2, 1L);
        Assert.Equal(expected, restore.ResumedFrom);
        Assert.Equal([2, 3], history.Epochs);
        Assert.Equal(straight.Optimizer!.Iterations, resumed.Optimizer!.Iterations);
        Trajectories.AssertSame(straight.Flat.Values, resumed.Flat.Values, "the resumed run against the uninterrupted one");
        Assert.False(Directory.Exists(backup), "the backup folder is removed when training completes");
    }

    [Fact]
    public void Replicas_resume_together_from_the_chief_backup()
    {
        var (features, labels) = TestData.Separable(96);
        var data = Dataset.FromArrays(features, labels).Shuffle(96, seed: 4).Batch(12);
        using var alone = Build(seed: 5);
        alone.Fit(data, epochs: 3, verbose: Verbosity.Silent);
        var backup = Path.Combine(_folder, "replicas");

        var first = new ThreadReplicaGroup(2);
        Assert.Throws<AggregateException>(() => first.Run(_ =>
        {
            using var model = Build(seed: 5);
            return model.Fit(data, epochs: 3, callbacks: [new BackupAndRestore(backup), new CrashAt(epoch: 1, batch: 5)], verbose: Verbosity.Silent);
        }));

        var second = new ThreadReplicaGroup(2);
        var weights = second.Run(rank =>
        {
            using var model = Build(seed: 50 + rank);
            model.Fit(data, epochs: 3, callbacks: [new BackupAndRestore(backup)], verbose: Verbosity.Silent);
            return model.Flat.Values.clone();
        });

        Assert.All(weights, replica => Assert.True((replica - alone.Flat.Values).abs().max().item<double>() < 1e-12));
    }

    [Fact]
    public void An_unreadable_backup_is_an_error_before_training()
    {
        var backup = Path.Combine(_folder, "bad");
        Directory.CreateDirectory(backup);
        File.WriteAllText(Path.Combine(backup, "backup.json"), "{ not json");
        var (features, labels) = TestData.Separable(20);
        using var model = Build(seed: 1);

        var error = Assert.Throws<ReplicaFailedException>(() => model.Fit(Dataset.FromArrays(features, labels).Batch(10), callbacks: [new BackupAndRestore(backup)], verbose: Verbosity.Silent));

        Assert.Contains("backup.json cannot be read", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Optimizer!.Iterations);
    }

    private static Model Build(long seed) =>
        Sequential.Input(10, ScalarType.Float64).Dense(8, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: seed)
            .Compile(Optimizer.Adam(0.01), Loss.BinaryCrossEntropy, Metric.Accuracy);

    private sealed class SimulatedCrash : Exception
    {
    }

    private sealed class CrashAt(int epoch, long batch) : Callback
    {
        private int _epoch;

        public override void OnEpochBegin(int epoch, TrainingLogs logs) => _epoch = epoch;

        public override void OnTrainBatchEnd(long batch1, TrainingLogs logs)
        {
            if (_epoch == epoch && batch1 == batch)
            {
                throw new SimulatedCrash();
            }
        }
    }
}
