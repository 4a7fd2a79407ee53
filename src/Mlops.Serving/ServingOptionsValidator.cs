using System.Globalization;
using Microsoft.Extensions.Options;
using Mlops.Tracking;
using Mlops.Tracking.Registry;

namespace Mlops.Serving;

/// <summary>
/// Checks <see cref="ServingOptions"/> when the host starts, beyond what DataAnnotations say: model names and URIs,
/// positive times, and experiments whose candidates, default and mirror are served models; each message names the
/// option's path (<c>Mlops:Serving:Models:recsys:Uri</c>).
/// </summary>
public sealed class ServingOptionsValidator : IValidateOptions<ServingOptions>
{
    private const string Root = "Mlops:Serving";

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, ServingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ServerName))
        {
            failures.Add($"{Root}:ServerName is required.");
        }

        Positive(failures, "RegistryPollInterval", options.RegistryPollInterval);
        Positive(failures, "RequestTimeout", options.RequestTimeout);
        if (options.MaxRowsPerRequest < 1)
        {
            failures.Add($"{Root}:MaxRowsPerRequest must be at least 1, not {options.MaxRowsPerRequest}.");
        }

        foreach (var (model, served) in options.Models)
        {
            var path = $"{Root}:Models:{model}";
            if (string.IsNullOrWhiteSpace(model) || model.IndexOfAny(['/', '?', '#', ' ']) >= 0)
            {
                failures.Add($"{path}: '{model}' is not a model name clients can call (no spaces, '/', '?' or '#').");
            }

            if (served is null)
            {
                failures.Add($"{path} is empty; it needs a Uri.");
                continue;
            }

            CheckUri(failures, path + ":Uri", served.Uri);
            Positive(failures, $"Models:{model}:MaxBatchTime", served.MaxBatchTime);
            if (served.MaxBatchSize < 1)
            {
                failures.Add($"{path}:MaxBatchSize must be at least 1 (1 turns batching off), not {served.MaxBatchSize}.");
            }

            if (served.MaxQueueLength < 1)
            {
                failures.Add($"{path}:MaxQueueLength must be at least 1, not {served.MaxQueueLength}.");
            }

            if (served.Workers < 1)
            {
                failures.Add($"{path}:Workers must be at least 1, not {served.Workers}.");
            }

            if (served.OnlineFeatures is { } online)
            {
                if (online.EntityInputs.Count == 0 || online.EntityInputs.Any(string.IsNullOrWhiteSpace))
                {
                    failures.Add($"{path}:OnlineFeatures:EntityInputs must name the request inputs that hold the entities' join keys (such as user_id).");
                }

                if (online.Features.Count == 0 || online.Features.Any(f => f is null || f.IndexOf(':', StringComparison.Ordinal) <= 0 || f.EndsWith(':')))
                {
                    failures.Add($"{path}:OnlineFeatures:Features must list features as view:feature references, not [{string.Join(", ", online.Features)}].");
                }
            }

            if (options.Experiments.ContainsKey(model))
            {
                failures.Add($"{path}: '{model}' is both a model and a traffic experiment ({Root}:Experiments:{model}); clients could not tell which they call.");
            }
        }

        foreach (var (experiment, traffic) in options.Experiments)
        {
            CheckExperiment(failures, options, $"{Root}:Experiments:{experiment}", traffic);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckExperiment(List<string> failures, ServingOptions options, string path, TrafficExperimentOptions? traffic)
    {
        if (traffic is null || traffic.Candidates.Count == 0)
        {
            failures.Add($"{path}:Candidates needs at least one served model with a weight.");
            return;
        }

        foreach (var (candidate, weight) in traffic.Candidates)
        {
            if (!options.Models.ContainsKey(candidate))
            {
                failures.Add($"{path}:Candidates:{candidate} names no served model ({Served(options)}).");
            }

            if (!(weight > 0) || double.IsInfinity(weight))
            {
                failures.Add($"{path}:Candidates:{candidate} needs a positive weight, not {weight.ToString(CultureInfo.InvariantCulture)}.");
            }
        }

        if (string.IsNullOrWhiteSpace(traffic.Default))
        {
            failures.Add($"{path}:Default is required: the candidate that answers when routing cannot choose.");
        }
        else if (!traffic.Candidates.ContainsKey(traffic.Default))
        {
            failures.Add($"{path}:Default '{traffic.Default}' is not one of its candidates ({string.Join(", ", traffic.Candidates.Keys)}).");
        }

        if (traffic.Mirror is not null && !options.Models.ContainsKey(traffic.Mirror))
        {
            failures.Add($"{path}:Mirror '{traffic.Mirror}' names no served model ({Served(options)}).");
        }

        if (!(traffic.MirrorPercent >= 0 && traffic.MirrorPercent <= 100))
        {
            failures.Add($"{path}:MirrorPercent must be between 0 and 100, not {traffic.MirrorPercent.ToString(CultureInfo.InvariantCulture)}.");
        }
        else if (traffic.MirrorPercent > 0 && traffic.Mirror is null)
        {
            failures.Add($"{path}:MirrorPercent is {traffic.MirrorPercent.ToString(CultureInfo.InvariantCulture)} but no Mirror is set.");
        }
    }

    private static void CheckUri(List<string> failures, string path, string? uri)
    {
        if (string.IsNullOrWhiteSpace(uri))
        {
            failures.Add($"{path} is required: models:/name@alias, models:/name/version, runs:/run-id/path or a folder with an MLmodel manifest.");
            return;
        }

        try
        {
            var parsed = ModelUri.Parse(uri);
            if (parsed.Kind is ModelUriKind.Alias or ModelUriKind.Version)
            {
                RegistryNames.ValidateModelName(parsed.Name!);
            }
        }
        catch (MlflowException e)
        {
            failures.Add($"{path}: {e.Message}");
        }
    }

    private static void Positive(List<string> failures, string option, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Root}:{option} must be positive, not {value}.");
        }
    }

    private static string Served(ServingOptions options) =>
        options.Models.Count == 0 ? "none are configured" : "served: " + string.Join(", ", options.Models.Keys);
}
