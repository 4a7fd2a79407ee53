using Microsoft.Extensions.Logging;
using Mlops.Training.Callbacks;
using Mlops.Training.Data;
using Mlops.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// One <c>Fit</c> call: Keras' training loop with MultiWorkerMirroredStrategy's synchronous data parallelism.
/// Before the first collective every replica checks its inputs and the replicas agree on errors; rank 0's parameters
/// are broadcast; each step runs forward and backward on the replica's slice, sums the gradients (and the step's
/// statistics, which ride in the gradient buffer's tail) across replicas, divides by the global example count and takes
/// the same optimizer step everywhere. A single replica skips every collective and uses the mean loss directly.
/// </summary>
internal sealed partial class FitLoop : IDisposable
{
    private readonly Model _model;
    private readonly FitArguments _arguments;
    private readonly IReplicaContext _context;
    private readonly Optimizer _optimizer;
    private readonly Loss _loss;
    private readonly Metric[] _metrics;
    private readonly StepStatistics _statistics;
    private readonly NonFiniteLossWatch _watch;
    private readonly DataReadContext _readContext;
    private readonly FitState _state = new();
    private readonly CancellationToken _cancellationToken;
    private StepStatistics.TailViews? _tail;
    private Tensor? _bufferTail;
    private Scalar? _globalCountScalar;
    private long _globalCountOfScalar = -1;
    private Scalar? _replicasInverse;

    public FitLoop(Model model, FitArguments arguments)
    {
        _model = model;
        _arguments = arguments;
        _context = model.Context;
        (_optimizer, _loss, _metrics) = model.Compiled("Fit");
        _statistics = new StepStatistics(_metrics, model.Device);
        _watch = new NonFiniteLossWatch(model.Device);
        _readContext = new DataReadContext(_context.ReplicaId, _context.NumReplicas, model.ElementType);
        _cancellationToken = arguments.CancellationToken;
    }

    private bool Single => _context.NumReplicas == 1;

    public History Run()
    {
        var args = _arguments;
        var history = new History();
        var batchesPerPass = args.Train.BatchesPerPass(_context.NumReplicas);
        var plan = EpochPlan.Create(args.Train, args.StepsPerEpoch, _context.NumReplicas);
        var parameters = new TrainingParameters(
            args.Epochs, args.InitialEpoch, args.StepsPerEpoch ?? (batchesPerPass * (plan.Mode == EpochMode.PassesPerEpoch ? plan.PassesPerEpoch : 1)), args.Train.GlobalBatchSize ?? 0, _context.NumReplicas, args.Verbose,
            ["loss", .. _metrics.Select(metric => metric.Name)]);
        var callbacks = new CallbackList(CallbacksFor(args), _model, parameters, _state);
        var resumeSources = callbacks.Items.OfType<IResumeSource>().ToList();

        // 1. Local checks, before any collective, so a problem on one replica becomes an error on all of them.
        var error = InputChecks.CheckDataset(_model, args.Train, "training dataset", args.StepsPerEpoch is null, "stepsPerEpoch")
            ?? (args.Validation is null ? null : InputChecks.CheckDataset(_model, args.Validation, "validation dataset", args.ValidationSteps is null, "validationSteps"))
            ?? (resumeSources.Count > 1 ? "more than one BackupAndRestore callback was given" : null);
        ResumePoint? resume = null;
        if (error is null && resumeSources.Count == 1)
        {
            resume = resumeSources[0].ReadResumePoint(_model, out error);
        }

        var startEpoch = resume?.Epoch ?? args.InitialEpoch;
        var startStep = resume?.StepInEpoch ?? 0;
        _state.Next = resume?.Next ?? plan.EpochStart(startEpoch);
        BatchStream? stream = null;
        DataBatch? first = null;
        try
        {
            if (error is null && startEpoch < args.Epochs)
            {
                (stream, first, error) = OpenAndPeek(plan, _state.Next, startEpoch, startStep);
            }

            _context.AgreeOnErrors(error, "input check before training", _cancellationToken);

            // 2. Same starting point everywhere: rank 0's parameters, or the backup every replica reads.
            _context.BroadcastParameters(_model.Flat.Values, _cancellationToken);
            if (_model.Flat.Buffers is not null)
            {
                _context.BroadcastParameters(_model.Flat.Buffers, _cancellationToken);
            }

            if (resume is not null)
            {
                _context.AgreeOnErrors(resumeSources[0].Restore(_model, resume), "restoring the backup", _cancellationToken);
            }

            // With replicas the gradient buffer's tail carries the step's statistics and, for batch norm, the moving
            // statistics to average: one all-reduce per step.
            var bufferLength = (int)(_model.Flat.Buffers?.numel() ?? 0);
            _model.Flat.SetTailLength(Single ? 0 : _statistics.TailLength + bufferLength);
            _model.Flat.BindGradients();
            _tail = Single ? null : _statistics.Bind(_model.Flat.Tail);
            _bufferTail = Single || bufferLength == 0 ? null : _model.Flat.Tail.narrow(0, _statistics.TailLength, bufferLength);
            _model.StopTraining = false;
            _model.Module.train();
            callbacks.OnTrainBegin(TrainingLogs.Empty);
            var lastLogs = TrainingLogs.Empty;
            var trainedAny = false;
            for (var epoch = startEpoch; epoch < args.Epochs; epoch++)
            {
                var firstStep = epoch == startEpoch ? startStep : 0;
                if (stream is null || (plan.Mode == EpochMode.Restart && epoch != startEpoch))
                {
                    stream?.Dispose();
                    stream = new BatchStream(plan.Source, _readContext, plan.Mode == EpochMode.Restart && epoch != startEpoch ? DatasetPosition.Start : _state.Next, plan.PassLimit(epoch), _cancellationToken);
                }

                stream.PassLimit = plan.PassLimit(epoch);
                _state.Epoch = epoch;
                _state.StepInEpoch = firstStep;
                _statistics.Reset();
                callbacks.OnEpochBegin(epoch);
                // One lazy logs object per epoch, invalidated after each step: nothing is allocated per step.
                var batchLogs = TrainingLogs.Lazy(() => _statistics.Logs(_statistics.Read()));
                var step = firstStep;
                var ranOut = false;
                while (args.StepsPerEpoch is null || step < args.StepsPerEpoch)
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    var batch = first ?? stream.Read();
                    first = null;
                    if (batch is null && Single)
                    {
                        _state.Next = stream.Next;
                        ranOut = plan.Mode == EpochMode.Continuous;
                        break;
                    }

                    // With replicas every one calls the hooks at every step, even one whose data has ended (it still steps).
                    callbacks.OnTrainBatchBegin(step);
                    bool trained;
                    using (batch)
                    {
                        trained = Single ? StepAlone(batch, epoch, step) : StepWithReplicas(batch, stream, epoch, step);
                    }

                    _state.Next = stream.Next;
                    if (!trained)
                    {
                        ranOut = plan.Mode == EpochMode.Continuous;
                        break;
                    }

                    step++;
                    _state.StepInEpoch = step;
                    trainedAny = true;
                    batchLogs.Invalidate();
                    callbacks.OnTrainBatchEnd(step - 1, batchLogs);
                    if (_model.StopTraining)
                    {
                        break;
                    }
                }

                if (_watch.Flush() is { } badStep)
                {
                    ThrowNonFinite(epoch, badStep);
                }

                if (step == firstStep)
                {
                    if (!trainedAny)
                    {
                        throw new InvalidOperationException($"The training dataset ({args.Train}) yielded no batches in epoch {epoch + 1}.");
                    }

                    Warn(history, epoch);
                    break;
                }

                if (plan.Mode == EpochMode.Restart)
                {
                    // The next epoch reads the dataset from its start again.
                    _state.Next = DatasetPosition.Start;
                }

                var logs = _statistics.Logs(_statistics.Read());
                if (args.Validation is not null)
                {
                    var validation = new EvaluationLoop(_model, args.Validation, args.ValidationSteps, callbacks, _cancellationToken).Run("validation after epoch " + (epoch + 1));
                    foreach (var (name, value) in validation)
                    {
                        logs["val_" + name] = value;
                    }

                    _model.Module.train();
                }

                lastLogs = TrainingLogs.Of(logs);
                history.Add(epoch, logs);
                callbacks.OnEpochEnd(epoch, lastLogs);
                if (ranOut)
                {
                    Warn(history, epoch);
                    break;
                }

                if (_model.StopTraining)
                {
                    history.StoppedEarly = true;
                    break;
                }
            }

            callbacks.OnTrainEnd(lastLogs);
            return history;
        }
        finally
        {
            first?.Dispose();
            stream?.Dispose();
        }
    }

    public void Dispose()
    {
        _tail?.Dispose();
        _bufferTail?.Dispose();
        _statistics.Dispose();
        _watch.Dispose();
        _globalCountScalar?.Dispose();
        _replicasInverse?.Dispose();
    }

    private IEnumerable<Callback> CallbacksFor(FitArguments args)
    {
        foreach (var callback in args.Callbacks)
        {
            yield return callback;
        }

        if (args.Verbose != Verbosity.Silent && _context.IsChief && !args.Callbacks.OfType<ProgressBar>().Any())
        {
            yield return new ProgressBar(args.Verbose);
        }
    }

    private (BatchStream Stream, DataBatch? First, string? Error) OpenAndPeek(EpochPlan plan, DatasetPosition start, int epoch, long step)
    {
        var stream = new BatchStream(plan.Source, _readContext, start, plan.PassLimit(epoch), _cancellationToken);
        try
        {
            var first = stream.Read();
            var error = first is null ? null : InputChecks.CheckBatch(_model, _loss, first, "training dataset", new StepLocation(epoch, step));
            return (stream, first, error);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (stream, null, $"reading the training dataset ({_arguments.Train}) failed: {ex.Message}");
        }
    }

    private void Warn(History history, int epoch)
    {
        var stepsPerEpoch = _arguments.StepsPerEpoch;
        var warning = $"Your input ran out of data in epoch {epoch + 1}; interrupting training. Make sure that your dataset can generate at least " +
            $"stepsPerEpoch * epochs batches ({stepsPerEpoch} * {_arguments.Epochs} here); you may need to call Repeat() on the dataset.";
        history.StoppedEarly = true;
        history.Warn(warning);
        _model.Logger.LogWarning("{Warning}", warning);
        if (_arguments.Verbose != Verbosity.Silent && _context.IsChief)
        {
            Console.Error.WriteLine("WARNING: " + warning);
        }
    }

    private void ThrowNonFinite(int epoch, long step) =>
        _context.AgreeOnErrors($"the loss is NaN or infinite at {new StepLocation(epoch, step)}", "training", _cancellationToken);
}
