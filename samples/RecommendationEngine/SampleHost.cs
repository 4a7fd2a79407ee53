using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mlops.Features;
using Mlops.Hosting;
using Mlops.Pipelines;
using Mlops.Storage;
using Mlops.Tracking;
using Mlops.Training;
using Mlops.Training.Tracking;

namespace RecommendationEngine;

/// <summary>
/// The one place the sample composes Mlops: a generic host whose configuration is the command line's values mapped
/// onto <c>Mlops:*</c> keys, with every package added through <c>services.AddMlops(configuration)</c>. Each step
/// resolves what it uses (<see cref="FrameSession"/>, <see cref="TrackingClient"/>, <see cref="PipelineExecutor"/>,
/// <see cref="Mlops.Training.Distributed.MultiWorkerMirroredStrategy"/>) from the container; a bad value fails when
/// the host starts, with an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming the key.
/// </summary>
public static class SampleHost
{
    /// <summary>The configuration key of the tracking URI.</summary>
    public const string TrackingUriKey = "Mlops:Tracking:TrackingUri";

    /// <summary>The configuration key of the pipelines database.</summary>
    public const string PipelinesStoreKey = "Mlops:Pipelines:Store:Path";

    /// <summary>The configuration key of the training seed (parameter initialisation and shuffling).</summary>
    public const string TrainingSeedKey = "Mlops:Training:Seed";

    /// <summary>
    /// The host of the sample's commands: storage, frames, tracking (with the TorchSharp flavor) and pipelines (the
    /// executor and store only: the sample runs its DAG once, so the scheduler stays off). Started: options are
    /// validated. Dispose it to close the stores.
    /// </summary>
    /// <param name="settings">Configuration values, such as <see cref="TrackingUriKey"/>; they override the packages' defaults.</param>
    /// <param name="dags">Adds the DAGs the host runs (from its services), or null.</param>
    /// <returns>The started host.</returns>
    public static IHost Start(IEnumerable<KeyValuePair<string, string?>> settings, Action<PipelineOptions>? dags = null) =>
        Start(settings, mlops => mlops
            .AddStorage()
            .AddFeatures()
            .AddTracking()
            .AddTorchSharpFlavor()
            .AddPipelines(options =>
            {
                options.RunScheduler = false;
                dags?.Invoke(options);
            }));

    /// <summary>
    /// The host of one training worker (a process the launcher starts): the trainer (the strategy joins the job the
    /// launcher's cluster variables describe), frames for the datasets, and tracking with the TorchSharp flavor for the
    /// chief's run. Started: options are validated.
    /// </summary>
    /// <param name="settings">Configuration values, such as <see cref="TrackingUriKey"/> and <see cref="TrainingSeedKey"/>.</param>
    /// <returns>The started host.</returns>
    public static IHost StartWorker(IEnumerable<KeyValuePair<string, string?>> settings) =>
        Start(settings, mlops => mlops
            .AddTraining()
            .AddFeatures()
            .AddTracking()
            .AddTorchSharpFlavor());

    /// <summary>Builds and starts a host over <paramref name="settings"/> with the packages <paramref name="addPackages"/> adds.</summary>
    /// <param name="settings">Configuration values.</param>
    /// <param name="addPackages">Adds the Mlops packages.</param>
    /// <returns>The started host.</returns>
    public static IHost Start(IEnumerable<KeyValuePair<string, string?>> settings, Action<MlopsBuilder> addPackages)
    {
        ArgumentNullException.ThrowIfNull(addPackages);

        // No defaults: the sample has no appsettings.json, and its command line is parsed by the sample itself, so the
        // configuration is exactly the values the commands map onto Mlops:* keys.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);

        // The steps print what they did themselves; the packages' logs show only warnings and errors, one line each.
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        addPackages(builder.Services.AddMlops(builder.Configuration));
        var host = builder.Build();
        try
        {
            host.Start();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
