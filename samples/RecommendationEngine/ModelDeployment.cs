using System.Globalization;
using Mlops.Tracking;

namespace RecommendationEngine;

/// <summary>What the deployment task decided.</summary>
/// <param name="Version">The version registered for this training run.</param>
/// <param name="ChampionVersion">The version the champion alias points at afterwards.</param>
/// <param name="Promoted">True if the alias moved to <paramref name="Version"/>.</param>
/// <param name="Summary">One line saying what happened and why.</param>
public sealed record DeploymentDecision(string Version, string ChampionVersion, bool Promoted, string Summary);

/// <summary>The seed's deployment: register, then promote only a better model (a champion/challenger gate).</summary>
public static class ModelDeployment
{
    /// <summary>The evaluation metric that decides promotion (logged on the training run by model_evaluation).</summary>
    public const string Metric = "eval_accuracy";

    /// <summary>
    /// Registers <c>runs:/{runId}/model</c> as a new version of <see cref="ServeCommand.RegisteredModel"/>, and moves the
    /// <see cref="ServeCommand.Alias"/> alias to it when there is no champion yet or its accuracy is higher than the
    /// champion's (ties keep the champion, so a re-run of the same model does not churn the server).
    /// </summary>
    public static DeploymentDecision Deploy(TrackingClient tracking, string runId, double accuracy)
    {
        ArgumentNullException.ThrowIfNull(tracking);
        var registry = tracking.Registry;
        var version = registry.RegisterModel($"runs:/{runId}/model", ServeCommand.RegisteredModel).Version;
        var champion = Champion(tracking);
        if (champion is { } current && !(accuracy > current.Accuracy))
        {
            return new DeploymentDecision(version, current.Version, false, string.Create(
                CultureInfo.InvariantCulture,
                $"registered {ServeCommand.RegisteredModel} v{version} ({Metric} {accuracy:0.0000}); kept @{ServeCommand.Alias} on v{current.Version} ({Metric} {current.Accuracy:0.0000}), which it does not beat"));
        }

        registry.SetRegisteredModelAlias(ServeCommand.RegisteredModel, ServeCommand.Alias, version);
        var summary = champion is { } previous
            ? string.Create(CultureInfo.InvariantCulture, $"registered {ServeCommand.RegisteredModel} v{version} ({Metric} {accuracy:0.0000}) and moved @{ServeCommand.Alias} to it from v{previous.Version} ({Metric} {previous.Accuracy:0.0000})")
            : string.Create(CultureInfo.InvariantCulture, $"registered {ServeCommand.RegisteredModel} v{version} ({Metric} {accuracy:0.0000}) as the first @{ServeCommand.Alias}");
        return new DeploymentDecision(version, version, true, summary);
    }

    private static (string Version, double Accuracy)? Champion(TrackingClient tracking)
    {
        try
        {
            var version = tracking.Registry.GetModelVersionByAlias(ServeCommand.RegisteredModel, ServeCommand.Alias);
            var metric = tracking.GetRun(version.RunId).Data.GetMetric(Metric);
            return (version.Version, metric ?? double.NegativeInfinity);
        }
        catch (MlflowException e) when (e.ErrorCode == MlflowErrorCodes.ResourceDoesNotExist)
        {
            return null;
        }
    }
}
