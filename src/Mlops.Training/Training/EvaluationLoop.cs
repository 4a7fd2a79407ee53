using Mlops.Training.Callbacks;
using Mlops.Training.Data;
using Mlops.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// Evaluation (Keras' <c>evaluate</c>, and validation at the end of an epoch): each replica runs its share of the
/// dataset in inference mode and sums loss and metric states on its device; at the end the replicas agree on errors
/// and add their sums (the only collectives), so every replica returns the same global loss and metrics.
/// </summary>
internal sealed class EvaluationLoop
{
    private readonly Model _model;
    private readonly Dataset _dataset;
    private readonly int? _steps;
    private readonly CallbackList? _callbacks;
    private readonly CancellationToken _cancellationToken;

    public EvaluationLoop(Model model, Dataset dataset, int? steps, CallbackList? callbacks, CancellationToken cancellationToken)
    {
        _model = model;
        _dataset = dataset;
        _steps = steps;
        _callbacks = callbacks;
        _cancellationToken = cancellationToken;
    }

    public Dictionary<string, double> Run(string stage)
    {
        var (_, loss, metrics) = _model.Compiled("Evaluate");
        var context = _model.Context;
        using var statistics = new StepStatistics(metrics, _model.Device);
        var readContext = new DataReadContext(context.ReplicaId, context.NumReplicas, _model.ElementType);
        var training = _model.Module.training;
        string? error = null;
        _callbacks?.OnTestBegin();
        try
        {
            _model.Module.eval();
            using var stream = new BatchStream(_dataset, readContext, DatasetPosition.Start, null, _cancellationToken);
            var batchLogs = TrainingLogs.Lazy(() => statistics.Logs(statistics.Read()));
            long step = 0;
            while (_steps is null || step < _steps)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                using var batch = stream.Read();
                if (batch is null)
                {
                    break;
                }

                error = InputChecks.CheckBatch(_model, loss, batch, "evaluation dataset", new StepLocation(0, step, stage));
                if (error is not null)
                {
                    break;
                }

                if (batch.Count > 0)
                {
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    var features = ToDevice(batch.Features);
                    var labels = loss.PrepareLabels(ToDevice(batch.Labels), _model.OutputWidth);
                    var predictions = _model.Module.forward(features);
                    statistics.AddLocalSum(loss.Sum(predictions, labels), batch.Count, predictions, labels);
                }

                step++;
                batchLogs.Invalidate();
                _callbacks?.OnTestBatchEnd(step - 1, batchLogs);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ReplicaFailedException)
        {
            error = $"{stage}: reading or evaluating the dataset ({_dataset}) failed: {ex.Message}";
        }
        finally
        {
            _model.Module.train(training);
        }

        context.AgreeOnErrors(error, stage, _cancellationToken);
        var values = (double[])statistics.Read().Clone();
        context.AllReduceSum(values, _cancellationToken);
        if (values[StepStatistics.CountSlot] == 0)
        {
            var sharding = context.NumReplicas > 1
                ? " With file sharding (AutoShardPolicy.File, or Auto with at least as many files as replicas) each replica reads only its own files, and Take/Skip apply within them; AutoShardPolicy.Data splits records instead."
                : string.Empty;
            throw new InvalidOperationException($"{stage}: the dataset ({_dataset}) yielded no examples to evaluate.{sharding}");
        }

        var logs = statistics.Logs(values);
        _callbacks?.OnTestEnd(TrainingLogs.Of(logs));
        return logs;
    }

    private Tensor ToDevice(Tensor tensor)
    {
        var device = _model.Device;
        var onDevice = tensor.device_type == device.type && (device.type == DeviceType.CPU || tensor.device_index == device.index);
        var moved = onDevice ? tensor : tensor.to(device);
        return moved.dtype == _model.ElementType ? moved : moved.to_type(_model.ElementType);
    }
}
