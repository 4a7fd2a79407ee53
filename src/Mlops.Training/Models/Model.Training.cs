using Mlops.Training.Callbacks;
using Mlops.Training.Data;
using Mlops.Training.Distributed;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>Keras' <c>fit</c>, <c>evaluate</c> and <c>predict</c>.</summary>
public sealed partial class Model
{
    /// <summary>
    /// Trains the model (Keras' <c>fit</c>). An epoch is one pass over <paramref name="train"/>, or
    /// <paramref name="stepsPerEpoch"/> steps of it: when that differs from a pass, the dataset is read as one stream
    /// across epochs (repeat it so it lasts), and if it runs out training stops with a warning, as Keras does. With
    /// replicas (a strategy scope), every replica calls <c>Fit</c> with its own copy of the same dataset: each reads its
    /// share of every global batch, gradients are averaged over the global batch, and all replicas end with the same
    /// parameters. Bad input (feature width, labels, batch not divisible by the replicas, invalid ids, a NaN loss) is a
    /// <see cref="ReplicaFailedException"/> on every replica naming the replica, epoch and step.
    /// </summary>
    /// <param name="train">Batched training data (features [n, <see cref="InputWidth"/>] and labels).</param>
    /// <param name="epochs">The epoch to stop before (Keras: the last epoch is <c>epochs - 1</c>).</param>
    /// <param name="stepsPerEpoch">Steps per epoch; required for an endlessly repeating dataset.</param>
    /// <param name="validation">Data evaluated at the end of each epoch (logged with a <c>val_</c> prefix).</param>
    /// <param name="validationSteps">Steps of validation data per evaluation; null reads all of it.</param>
    /// <param name="callbacks">Callbacks (checkpoints, early stopping, schedules...).</param>
    /// <param name="initialEpoch">The epoch to start at (to continue an earlier run).</param>
    /// <param name="verbose">
    /// What to print, as Keras' <c>verbose</c>: <see cref="Verbosity.Auto"/> (the default: a progress bar on a terminal,
    /// one line per epoch when output is redirected), <see cref="Verbosity.Silent"/>, <see cref="Verbosity.ProgressBar"/>,
    /// <see cref="Verbosity.OneLinePerEpoch"/>.
    /// </param>
    /// <param name="cancellationToken">Stops training between steps. With replicas, cancel every replica: one that
    /// stops alone leaves the others to fail at their next collective's timeout.</param>
    /// <returns>The loss and metrics of every epoch.</returns>
    /// <remarks>
    /// Blocks the calling thread for the whole training (TorchSharp's work is synchronous and CPU/GPU-bound), as Keras'
    /// <c>fit</c> does; there is no <c>FitAsync</c>, because it could only wrap <c>Task.Run</c>. To keep a UI or request
    /// thread free, run it off that thread and cancel with the token, which is honoured between steps:
    /// <c>await Task.Run(() => model.Fit(train, epochs: 5, cancellationToken: ct), ct)</c> (for a job that trains for
    /// hours, a dedicated thread keeps a pool thread from being held).
    /// </remarks>
    public History Fit(
        Dataset train,
        int epochs = 1,
        int? stepsPerEpoch = null,
        Dataset? validation = null,
        int? validationSteps = null,
        IEnumerable<Callback>? callbacks = null,
        int initialEpoch = 0,
        Verbosity verbose = Verbosity.Auto,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (epochs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "epochs cannot be negative.");
        }

        if (initialEpoch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch, "initialEpoch cannot be negative.");
        }

        if (stepsPerEpoch is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "stepsPerEpoch must be at least 1.");
        }

        if (validationSteps is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validationSteps), validationSteps, "validationSteps must be at least 1.");
        }

        if (!Enum.IsDefined(verbose))
        {
            throw new ArgumentOutOfRangeException(nameof(verbose), verbose, "verbose is Auto, Silent, ProgressBar or OneLinePerEpoch.");
        }

        var arguments = new FitArguments(train, epochs, stepsPerEpoch, validation, validationSteps, callbacks?.ToArray() ?? [], initialEpoch, verbose, cancellationToken);
        using var loop = new FitLoop(this, arguments);
        return loop.Run();
    }

    /// <summary>
    /// The loss and metrics over a dataset (Keras' <c>evaluate</c>), in inference mode. With replicas each evaluates
    /// its share and the results are combined, so every replica returns the same values.
    /// </summary>
    /// <param name="data">Batched data.</param>
    /// <param name="steps">Batches to evaluate; null reads all (required for an endlessly repeating dataset).</param>
    /// <param name="callbacks">Callbacks (their test hooks are called).</param>
    /// <param name="cancellationToken">Stops evaluation between batches.</param>
    /// <returns>"loss" and each metric by name.</returns>
    /// <remarks>Blocks the calling thread (compute-bound; no <c>EvaluateAsync</c>, as Keras has none): off a UI or request thread, <c>await Task.Run(() => model.Evaluate(data, cancellationToken: ct), ct)</c>.</remarks>
    public IReadOnlyDictionary<string, double> Evaluate(Dataset data, int? steps = null, IEnumerable<Callback>? callbacks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (_, _, metrics) = Compiled("Evaluate");
        if (steps is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be at least 1.");
        }

        Context.AgreeOnErrors(InputChecks.CheckDataset(this, data, "evaluation dataset", steps is null, "steps"), "input check before evaluation", cancellationToken);
        var parameters = new TrainingParameters(1, 0, steps ?? data.BatchesPerPass(NumReplicas), data.GlobalBatchSize ?? 0, NumReplicas, 0, ["loss", .. metrics.Select(metric => metric.Name)]);
        var list = new CallbackList(callbacks ?? [], this, parameters, null);
        return new EvaluationLoop(this, data, steps, list, cancellationToken).Run("evaluation");
    }

    /// <summary>
    /// Outputs for every example of a dataset, in order (Keras' <c>predict</c>), in inference mode. Runs on this
    /// process alone (the whole dataset, not a replica's share), so any replica may call it.
    /// </summary>
    /// <param name="data">Batched data (labels are ignored).</param>
    /// <param name="steps">Batches to predict; null reads all (required for an endlessly repeating dataset).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>A CPU tensor [examples, <see cref="OutputWidth"/>].</returns>
    public Tensor Predict(Dataset data, int? steps = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (data.FeatureWidth != InputWidth)
        {
            throw new ArgumentException($"The dataset ({data}) has feature width {data.FeatureWidth}, but the model's input width is {InputWidth}.", nameof(data));
        }

        if (steps is null && data.IsInfinite)
        {
            throw new ArgumentException($"The dataset ({data}) repeats forever: pass steps.", nameof(data));
        }

        var outputs = new List<Tensor>();
        try
        {
            using var stream = new BatchStream(data, new DataReadContext(0, 1, ElementType), DatasetPosition.Start, null, cancellationToken);
            for (long step = 0; steps is null || step < steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var batch = stream.Read();
                if (batch is null)
                {
                    break;
                }

                outputs.Add(PredictBatch(batch.Features, $"batch {batch.Position} of the dataset"));
            }

            return outputs.Count == 0 ? zeros([0, OutputWidth], ElementType) : cat(outputs, 0);
        }
        finally
        {
            foreach (var output in outputs)
            {
                output.Dispose();
            }
        }
    }

    /// <summary>Outputs for a batch of inputs (inference mode).</summary>
    /// <param name="features">Inputs [n, <see cref="InputWidth"/>], on any device.</param>
    /// <returns>A CPU tensor [n, <see cref="OutputWidth"/>].</returns>
    public Tensor Predict(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return PredictBatch(features, "predict");
    }

    /// <summary>Outputs for rows of inputs (inference mode).</summary>
    /// <param name="features">Rows of <see cref="InputWidth"/> values each.</param>
    /// <returns>One output row per input row.</returns>
    public float[][] Predict(float[][] features)
    {
        ArgumentNullException.ThrowIfNull(features);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var flat = new float[features.Length * InputWidth];
        for (var i = 0; i < features.Length; i++)
        {
            var row = features[i] ?? throw new ArgumentException($"Row {i} is null.", nameof(features));
            if (row.Length != InputWidth)
            {
                throw new ArgumentException($"Row {i} has {row.Length} values, but the model's input width is {InputWidth}.", nameof(features));
            }

            row.CopyTo(flat, i * InputWidth);
        }

        using var scope = NewDisposeScope();
        var input = tensor(flat, [features.Length, InputWidth]);
        var output = PredictBatch(input, "predict").to_type(ScalarType.Float32);
        var values = output.data<float>().ToArray();
        var result = new float[features.Length][];
        for (var i = 0; i < features.Length; i++)
        {
            result[i] = values.AsSpan(i * OutputWidth, OutputWidth).ToArray();
        }

        return result;
    }

    private Tensor PredictBatch(Tensor features, string where)
    {
        if (InputChecks.CheckPredictInput(this, features, where) is { } problem)
        {
            throw new ArgumentException(problem, nameof(features));
        }

        var training = _module.training;
        try
        {
            _module.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = features.to(Device).to_type(ElementType);
            var output = _module.forward(input);
            return output.cpu().MoveToOuterDisposeScope();
        }
        finally
        {
            _module.train(training);
        }
    }
}
