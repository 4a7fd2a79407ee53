using Mlops.Tracking;
using Mlops.Training;

namespace RecommendationEngine.Training;

/// <summary>The outcome of <see cref="ModelEvaluation.Run"/>.</summary>
/// <param name="Accuracy">The saved model's accuracy on the held-out rows.</param>
/// <param name="Loss">Its loss there.</param>
/// <param name="Rows">How many held-out rows.</param>
/// <param name="BestRunId">The experiment's training run with the highest evaluated accuracy (may be this one).</param>
/// <param name="BestAccuracy">That run's evaluated accuracy.</param>
public sealed record EvaluationResult(double Accuracy, double Loss, long Rows, string BestRunId, double BestAccuracy);

/// <summary>The seed's model_evaluation task: score the saved model on the held-out rows and find the best run so far.</summary>
public static class ModelEvaluation
{
    /// <summary>Loads the model, evaluates it on the validation rows, logs <c>eval_accuracy</c>/<c>eval_loss</c> to its training run and looks up the best run.</summary>
    public static EvaluationResult Run(TrainSettings settings, string modelPath, string runId)
    {
        var (_, validation, trainRows) = TrainCommand.Datasets(settings);
        using var model = Model.Load(modelPath);
        var scores = model.Evaluate(validation);
        var accuracy = scores["accuracy"];
        var loss = scores["loss"];
        using var tracking = new TrackingClient(settings.TrackingUri);
        tracking.LogMetric(runId, "eval_accuracy", accuracy);
        tracking.LogMetric(runId, "eval_loss", loss);

        // The seed's MLflow lookup: the best run of the experiment by its evaluated accuracy.
        var experimentId = tracking.GetOrCreateExperiment(PrepareTracking.Experiment);
        var best = tracking.SearchRuns([experimentId], filter: "metrics.eval_accuracy > 0", orderBy: ["metrics.eval_accuracy DESC"], maxResults: 1)[0];
        var rows = Mlops.Features.Frame.ReadParquet(settings.Features).Count() - trainRows;
        return new EvaluationResult(accuracy, loss, rows, best.Info.RunId, best.Data.GetMetric("eval_accuracy") ?? accuracy);
    }
}
