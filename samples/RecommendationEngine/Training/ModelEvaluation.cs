using Mlops.Features;
using Mlops.Tracking;
using Mlops.Training;
using Mlops.Training.Data;

namespace RecommendationEngine.Training;

/// <summary>The outcome of <see cref="ModelEvaluation.Run"/>.</summary>
/// <param name="Accuracy">The saved model's accuracy on the held-out rows.</param>
/// <param name="Loss">Its loss there.</param>
/// <param name="Rows">How many held-out rows.</param>
/// <param name="MajorityAccuracy">The accuracy of always predicting the held-out rows' majority class (the bar a model must clear).</param>
/// <param name="BestRunId">The experiment's training run with the highest evaluated accuracy (may be this one).</param>
/// <param name="BestAccuracy">That run's evaluated accuracy.</param>
public sealed record EvaluationResult(double Accuracy, double Loss, long Rows, double MajorityAccuracy, string BestRunId, double BestAccuracy);

/// <summary>The seed's model_evaluation task: score the saved model on the held-out rows and find the best run so far.</summary>
public static class ModelEvaluation
{
    /// <summary>Loads the model, evaluates it (the features read through the host's <paramref name="session"/>) on the validation rows, logs <c>eval_accuracy</c>/<c>eval_loss</c> to its training run and looks up the best run.</summary>
    public static EvaluationResult Run(FrameSession session, TrackingClient tracking, TrainSettings settings, string modelPath, string runId)
    {
        ArgumentNullException.ThrowIfNull(tracking);
        var validation = TrainCommand.Datasets(session, settings).Validation;
        using var model = Model.Load(modelPath);
        var scores = model.Evaluate(validation);
        var accuracy = scores["accuracy"];
        var loss = scores["loss"];
        tracking.LogMetric(runId, "eval_accuracy", accuracy);
        tracking.LogMetric(runId, "eval_loss", loss);

        // The seed's MLflow lookup: the best run of the experiment by its evaluated accuracy.
        var experimentId = tracking.GetOrCreateExperiment(PrepareTracking.Experiment);
        var best = tracking.SearchRuns([experimentId], filter: "metrics.eval_accuracy > 0", orderBy: ["metrics.eval_accuracy DESC"], maxResults: 1)[0];
        var (majority, rows) = MajorityAccuracy(validation);
        tracking.LogMetric(runId, "eval_majority_accuracy", majority);
        return new EvaluationResult(accuracy, loss, rows, majority, best.Info.RunId, best.Data.GetMetric("eval_accuracy") ?? accuracy);
    }

    /// <summary>The accuracy of always predicting the majority class of a dataset's 0/1 labels, and its row count.</summary>
    public static (double Accuracy, long Rows) MajorityAccuracy(Dataset data)
    {
        var (rows, positives) = (0L, 0.0);
        foreach (var batch in data.Read(DataReadContext.Single, DatasetPosition.Start))
        {
            using (batch)
            {
                rows += batch.Count;
                using var sum = batch.Labels.sum();
                positives += sum.item<float>();
            }
        }

        return (rows == 0 ? 0 : Math.Max(positives, rows - positives) / rows, rows);
    }
}
