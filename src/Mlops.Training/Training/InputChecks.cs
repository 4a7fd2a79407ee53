using System.Globalization;
using Mlops.Training.Data;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// Checks a dataset and its batches against a model before they are used, returning a message that names what is wrong
/// and where (null when fine). Replicas exchange these messages (<c>AgreeOnErrors</c>) so a problem on one is an error
/// on all.
/// </summary>
internal static class InputChecks
{
    public static string? CheckDataset(Model model, Dataset dataset, string role, bool needsFiniteData, string stepsArgument)
    {
        if (dataset.FeatureWidth != model.InputWidth)
        {
            return $"the {role} ({dataset}) has feature width {dataset.FeatureWidth}, but the model's input width is {model.InputWidth}";
        }

        if (dataset.GlobalBatchSize is not { } batchSize)
        {
            return $"the {role} ({dataset}) is not batched: call Batch(size) on it";
        }

        if (batchSize % model.NumReplicas != 0)
        {
            return $"the {role}'s global batch size {batchSize} is not divisible by the {model.NumReplicas} replicas (as TensorFlow requires): use a multiple of {model.NumReplicas}";
        }

        if (needsFiniteData && dataset.IsInfinite)
        {
            return $"the {role} ({dataset}) repeats forever: pass {stepsArgument} to say how many steps make an epoch";
        }

        return null;
    }

    public static string? CheckBatch(Model model, Loss? loss, DataBatch batch, string role, StepLocation where)
    {
        var features = batch.Features;
        if (features.dim() != 2 || features.shape[1] != model.InputWidth)
        {
            return $"{where}: batch {batch.Position} of the {role} has features of shape [{string.Join(", ", features.shape)}], but the model's input width is {model.InputWidth}";
        }

        if (loss is not null && loss.CheckLabels(batch.Labels.shape, model.OutputWidth) is { } labelProblem)
        {
            return $"{where}: batch {batch.Position} of the {role}: {labelProblem}";
        }

        if (batch.Count == 0)
        {
            return null;
        }

        foreach (var embed in model.Embeds)
        {
            if (CheckIds(features.select(1, embed.Column), embed.VocabularySize) is { } bad)
            {
                return $"{where}: batch {batch.Position} of the {role}: input column {embed.Column} holds id {Format(bad.Value)} at row {bad.Row}, but its embedding's ids are integers in [0, {embed.VocabularySize})";
            }
        }

        if (loss is not null && loss.SparseLabels)
        {
            var labels = batch.Labels.dim() == 2 ? batch.Labels.select(1, 0) : batch.Labels;
            if (CheckIds(labels, model.OutputWidth) is { } bad)
            {
                return $"{where}: batch {batch.Position} of the {role}: label {Format(bad.Value)} at row {bad.Row} is not a class index in [0, {model.OutputWidth})";
            }
        }

        return null;
    }

    public static string? CheckPredictInput(Model model, Tensor features, string where)
    {
        if (features.dim() != 2 || features.shape[1] != model.InputWidth)
        {
            return $"{where}: inputs of shape [{string.Join(", ", features.shape)}] do not fit the model's input width {model.InputWidth} (expected [n, {model.InputWidth}])";
        }

        foreach (var embed in model.Embeds)
        {
            if (features.shape[0] > 0 && CheckIds(features.select(1, embed.Column), embed.VocabularySize) is { } bad)
            {
                return $"{where}: input column {embed.Column} holds id {Format(bad.Value)} at row {bad.Row}, but its embedding's ids are integers in [0, {embed.VocabularySize})";
            }
        }

        return null;
    }

    // An id is valid when it is an integer in [0, size); returns the first invalid one and its row.
    private static (double Value, long Row)? CheckIds(Tensor ids, long size)
    {
        using var scope = NewDisposeScope();
        var invalid = ids.lt(0).logical_or_(ids.ge(size)).logical_or_(ids.ne(ids.floor()));
        if (!invalid.any().item<bool>())
        {
            return null;
        }

        var row = invalid.to_type(ScalarType.Int32).argmax().item<long>();
        return (ids[row].to_type(ScalarType.Float64).item<double>(), row);
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
