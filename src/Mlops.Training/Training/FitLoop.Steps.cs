using System.Runtime.InteropServices;
using Mlops.Training.Data;
using Mlops.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>The two kinds of training step: alone (no collectives) and with replicas (one all-reduce).</summary>
internal sealed partial class FitLoop
{
    /// <summary>A step of a single replica: mean loss, backward, statistics on the device, optimizer step. False when the data ended.</summary>
    private bool StepAlone(DataBatch? batch, int epoch, long step)
    {
        if (batch is null)
        {
            return false;
        }

        using var scope = NewDisposeScope();
        if (InputChecks.CheckBatch(_model, _loss, batch, "training dataset", new StepLocation(epoch, step)) is { } problem)
        {
            _context.AgreeOnErrors(problem, "training", _cancellationToken);
        }

        if (batch.Count == 0)
        {
            return true;
        }

        var features = ToDevice(batch.Features);
        var labels = _loss.PrepareLabels(ToDevice(batch.Labels), _model.OutputWidth);
        _model.Flat.ZeroGradients();
        Tensor predictions;
        Tensor loss;
        try
        {
            predictions = _model.Module.forward(features);
            loss = _loss.Mean(predictions, labels);
            loss.backward();
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ReplicaFailedException)
        {
            _context.AgreeOnErrors($"{new StepLocation(epoch, step)}: {ex.Message}", "training", _cancellationToken);
            throw;
        }

        using (no_grad())
        {
            _statistics.AddLocal(loss, batch.Count, predictions, labels);
            if (_watch.Record(loss, step) is { } badStep)
            {
                ThrowNonFinite(epoch, badStep);
            }
        }

        _optimizer.Step();
        return true;
    }

    /// <summary>
    /// A step with replicas: loss SUM over this replica's slice, backward, the statistics into the gradient buffer's
    /// tail, one all-reduce of the whole buffer, then every replica divides by the global example count and takes the
    /// same optimizer step. A replica with no rows (its data ended, or an empty slice) still joins the all-reduce with
    /// zero gradients; a step whose global count is 0 ends the pass on every replica at once. False when the data ended.
    /// </summary>
    private bool StepWithReplicas(DataBatch? batch, BatchStream stream, int epoch, long step)
    {
        // With record (or no) sharding every replica reads the same number of batches, so all end at this same step.
        if (batch is null && stream.ReadAny && stream.GlobalCountKnown)
        {
            return false;
        }

        using var scope = NewDisposeScope();
        var flat = _model.Flat;
        var tail = _tail!;
        var where = new StepLocation(epoch, step);
        flat.ZeroGradients();
        var count = batch?.Count ?? 0;
        var localError = batch is null ? null : InputChecks.CheckBatch(_model, _loss, batch, "training dataset", where);
        Tensor? lossSum = null;
        if (localError is null && count > 0)
        {
            try
            {
                var features = ToDevice(batch!.Features);
                var labels = _loss.PrepareLabels(ToDevice(batch.Labels), _model.OutputWidth);
                var predictions = _model.Module.forward(features);
                lossSum = _loss.Sum(predictions, labels);
                lossSum.backward();
                using (no_grad())
                {
                    _statistics.FillTail(tail, lossSum, count, predictions, labels);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                localError = $"{where}: {ex.Message}";
                flat.ZeroGradients();
            }
        }

        if (localError is not null)
        {
            tail.ErrorFlag.fill_(1);
        }

        _context.AllReduceSum(flat.Gradients, _cancellationToken);
        var (globalCount, globalLoss, errors) = ReadTailHead(flat.Tail, _statistics.Length);
        if (errors > 0)
        {
            _context.AgreeOnErrors(localError, "training", _cancellationToken);
        }

        if (globalCount == 0)
        {
            return false;
        }

        if (!double.IsFinite(globalLoss))
        {
            var localBad = lossSum is not null && !double.IsFinite(lossSum.to_type(ScalarType.Float64).item<double>());
            _context.AgreeOnErrors(localBad ? $"the loss is NaN or infinite at {where}" : null, "training", _cancellationToken);
            throw new ReplicaFailedException(0, "training", $"the loss summed over the replicas is not finite at {where}");
        }

        flat.ParameterGradients.div_(GlobalCountScalar((long)globalCount));
        if (flat.Buffers is not null)
        {
            // Batch-norm statistics: the replicas' mean, as TensorFlow aggregates mirrored moving statistics.
            _context.AllReduceSum(flat.Buffers, _cancellationToken);
            _replicasInverse ??= (1.0 / _context.NumReplicas).ToScalar();
            flat.Buffers.mul_(_replicasInverse);
        }

        _statistics.AddReduced(tail);
        _optimizer.Step();
        return true;
    }

    private Tensor ToDevice(Tensor tensor)
    {
        var device = _model.Device;
        if (tensor.device_type == device.type && (device.type == DeviceType.CPU || tensor.device_index == device.index))
        {
            return tensor.dtype == _model.ElementType || tensor.dtype == ScalarType.Int64 ? tensor : tensor.to_type(_model.ElementType);
        }

        return tensor.to(device, non_blocking: true).to_type(tensor.dtype == ScalarType.Int64 ? ScalarType.Int64 : _model.ElementType);
    }

    private Scalar GlobalCountScalar(long count)
    {
        if (count != _globalCountOfScalar)
        {
            _globalCountScalar?.Dispose();
            _globalCountScalar = ((double)count).ToScalar();
            _globalCountOfScalar = count;
        }

        return _globalCountScalar!;
    }

    // The step's global example count, loss sum and error flags; on the CPU read in place.
    private static (double Count, double Loss, double Errors) ReadTailHead(Tensor tail, int flagIndex)
    {
        using var host = tail.device_type == DeviceType.CPU ? tail.alias() : tail.cpu();
        var bytes = host.bytes;
        if (host.dtype == ScalarType.Float64)
        {
            var values = MemoryMarshal.Cast<byte, double>(bytes);
            return (values[StepStatistics.CountSlot], values[StepStatistics.LossSlot], values[flagIndex]);
        }

        var floats = MemoryMarshal.Cast<byte, float>(bytes);
        return (floats[StepStatistics.CountSlot], floats[StepStatistics.LossSlot], floats[flagIndex]);
    }
}
