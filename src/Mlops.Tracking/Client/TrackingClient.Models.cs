using System.Text.Json;
using System.Text.Json.Nodes;
using Mlops.Tracking.Artifacts;
using Mlops.Tracking.Models;
using Mlops.Tracking.Registry;

namespace Mlops.Tracking;

/// <summary>What <see cref="TrackingClient.LogModel"/> logged.</summary>
public sealed record LoggedModel
{
    private readonly ModelVersion? _registeredVersion;

    /// <summary>Creates the result (tests create it to stand in for a logged model).</summary>
    /// <param name="modelUri">The model's <c>runs:/&lt;run_id&gt;/&lt;path&gt;</c> URI.</param>
    /// <param name="manifest">Its manifest.</param>
    /// <param name="registeredVersion">The registry version created, when a registered model name was given.</param>
    public LoggedModel(string modelUri, ModelManifest manifest, ModelVersion? registeredVersion = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelUri);
        ModelUri = modelUri;
        Manifest = manifest ?? throw new ArgumentNullException(nameof(manifest));
        _registeredVersion = registeredVersion;
    }

    /// <summary>The model's <c>runs:/&lt;run_id&gt;/&lt;path&gt;</c> URI.</summary>
    public string ModelUri { get; }

    /// <summary>Its manifest.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>Whether a registered model name was given, so <see cref="RegisteredVersion"/> is set.</summary>
    public bool IsRegistered => _registeredVersion is not null;

    /// <summary>The registry version created because a registered model name was given.</summary>
    /// <exception cref="InvalidOperationException">The model was logged without a registered model name (see <see cref="IsRegistered"/>).</exception>
    public ModelVersion RegisteredVersion => _registeredVersion ?? throw new InvalidOperationException(
        $"The model '{ModelUri}' was logged without a registered model name, so no version was registered; pass registeredModelName to LogModel.");
}

public partial class TrackingClient
{
    /// <summary>
    /// The flavors this client logs and loads models with; empty unless given. In a host the container's registry
    /// (filled by <c>.AddMLNetFlavor()</c>, <c>.AddTorchSharpFlavor()</c>); without one,
    /// <c>new TrackingClient(uri) { Flavors = ModelFlavorRegistry.Create(new MLNetFlavor()) }</c> or <c>client.Flavors.Add(...)</c>.
    /// </summary>
    public ModelFlavorRegistry Flavors { get; init; } = new();

    /// <summary>
    /// Logs a model as run artifacts: its flavor's files plus an <c>MLmodel</c> manifest with the signature and an
    /// optional input example; records it in the run's <c>mlflow.log-model.history</c> tag; and, if
    /// <paramref name="registeredModelName"/> is given, registers a new version of that model.
    /// </summary>
    public virtual LoggedModel LogModel(string runId, object model, string artifactPath = "model", ModelSignature? signature = null, object? inputExample = null, string? registeredModelName = null, CancellationToken cancellationToken = default) =>
        Wait(LogModelAsync(runId, model, artifactPath, signature, inputExample, registeredModelName, cancellationToken));

    /// <summary>Logs a model; see <see cref="LogModel"/>.</summary>
    public virtual async Task<LoggedModel> LogModelAsync(string runId, object model, string artifactPath = "model", ModelSignature? signature = null, object? inputExample = null, string? registeredModelName = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var path = ArtifactPath.Normalize(artifactPath);
        if (path.Length == 0)
        {
            throw MlflowException.InvalidParameter("A model needs a non-empty artifact path, such as 'model'.");
        }

        var run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        var flavor = Flavors.ForModel(model);
        var folder = Path.Combine(Path.GetTempPath(), "mlops-model-" + Guid.NewGuid().ToString("N"));
        try
        {
            var settings = await flavor.SaveAsync(model, folder, cancellationToken).ConfigureAwait(false);
            string? examplePath = null;
            if (inputExample is not null)
            {
                examplePath = "input_example.json";
                await File.WriteAllTextAsync(Path.Combine(folder, examplePath), JsonSerializer.Serialize(inputExample), cancellationToken).ConfigureAwait(false);
            }

            var flavors = new Dictionary<string, JsonObject>(StringComparer.Ordinal) { [flavor.Name] = settings };
            if (flavor is IModelManifestContributor contributor)
            {
                foreach (var (name, companion) in contributor.GetCompanionFlavors(settings))
                {
                    flavors.TryAdd(name, companion);
                }

                signature ??= contributor.GetDeclaredSignature(model);
            }

            var manifest = new ModelManifest
            {
                ArtifactPath = path,
                RunId = runId,
                UtcTimeCreated = _timeProvider.GetUtcNow(),
                Flavors = flavors,
                Signature = signature,
                InputExamplePath = examplePath,
            };
            await File.WriteAllTextAsync(Path.Combine(folder, ModelManifest.FileName), manifest.ToJson(), cancellationToken).ConfigureAwait(false);
            await Artifacts(run.Info.ArtifactUri).LogArtifactsAsync(folder, path, cancellationToken).ConfigureAwait(false);
            await RecordLoggedModelAsync(run, manifest, cancellationToken).ConfigureAwait(false);

            var uri = $"runs:/{runId}/{path}";
            ModelVersion? version = null;
            if (registeredModelName is not null)
            {
                if (!HasRegistry)
                {
                    throw MlflowException.InvalidParameter($"Cannot register '{registeredModelName}': this tracking client has no model registry.");
                }

                version = await Registry.RegisterModelAsync(uri, registeredModelName, null, cancellationToken).ConfigureAwait(false);
            }

            return new LoggedModel(uri, manifest, version);
        }
        finally
        {
            TryDelete(folder);
        }
    }

    /// <summary>
    /// Loads a model by URI: <c>runs:/&lt;run_id&gt;/&lt;path&gt;</c>, <c>models:/&lt;name&gt;/&lt;version&gt;</c>,
    /// <c>models:/&lt;name&gt;@&lt;alias&gt;</c> or an artifact location. Returns the loaded model of the first of
    /// <see cref="Flavors"/> the manifest lists; ML.NET and TorchSharp models implement <see cref="IColumnPredictor"/>.
    /// </summary>
    public virtual ILoadedModel LoadModel(string modelUri, CancellationToken cancellationToken = default) => Wait(LoadModelAsync(modelUri, cancellationToken));

    /// <summary>Loads a model by URI; see <see cref="LoadModel"/>.</summary>
    public virtual async Task<ILoadedModel> LoadModelAsync(string modelUri, CancellationToken cancellationToken = default)
    {
        var location = await ResolveModelArtifactUriAsync(modelUri, cancellationToken).ConfigureAwait(false);
        var folder = Path.Combine(Path.GetTempPath(), "mlops-model-" + Guid.NewGuid().ToString("N"));
        try
        {
            await Artifacts(location).DownloadArtifactsAsync(null, folder, cancellationToken).ConfigureAwait(false);
            var manifestPath = Path.Combine(folder, ModelManifest.FileName);
            if (!File.Exists(manifestPath))
            {
                throw MlflowException.NotFound($"No {ModelManifest.FileName} manifest at {location} (resolved from '{modelUri}').");
            }

            var manifest = ModelManifest.Parse(await File.ReadAllTextAsync(manifestPath, cancellationToken).ConfigureAwait(false), location + "/" + ModelManifest.FileName);
            var flavor = Flavors.ForManifest(manifest, location);

            // Flavors read their files eagerly, so the download folder can go once the model is loaded.
            return await flavor.LoadAsync(folder, manifest, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            TryDelete(folder);
        }
    }

    /// <summary>The artifact location a model URI names.</summary>
    public virtual async Task<string> ResolveModelArtifactUriAsync(string modelUri, CancellationToken cancellationToken = default)
    {
        var uri = ModelUri.Parse(modelUri);
        switch (uri.Kind)
        {
            case ModelUriKind.Location:
                return uri.Original;
            case ModelUriKind.Run:
                var run = await GetRunAsync(uri.RunId!, cancellationToken).ConfigureAwait(false);
                var path = ArtifactPath.Normalize(uri.Path);
                return path.Length == 0 ? run.Info.ArtifactUri : run.Info.ArtifactUri.TrimEnd('/') + "/" + path;
            default:
                if (!HasRegistry)
                {
                    throw MlflowException.InvalidParameter($"Cannot resolve '{modelUri}': this tracking client has no model registry.");
                }

                return await Registry.ResolveArtifactUriAsync(modelUri, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RecordLoggedModelAsync(Run run, ModelManifest manifest, CancellationToken cancellationToken)
    {
        // MLflow's UI lists a run's models from this tag: a JSON list of {run_id, artifact_path, utc_time_created, flavors, model_uuid}.
        var history = run.Data.Tags.TryGetValue(MlflowTags.LoggedModels, out var existing) && JsonNode.Parse(existing) is JsonArray array ? array : [];
        var flavors = new JsonObject();
        foreach (var (name, settings) in manifest.Flavors)
        {
            flavors[name] = settings.DeepClone();
        }

        history.Add(new JsonObject
        {
            ["run_id"] = run.Info.RunId,
            ["artifact_path"] = manifest.ArtifactPath,
            ["utc_time_created"] = manifest.UtcTimeCreated.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture),
            ["flavors"] = flavors,
            ["model_uuid"] = manifest.ModelUuid,
        });
        await SetTagAsync(run.Info.RunId, MlflowTags.LoggedModels, history.ToJsonString(), cancellationToken).ConfigureAwait(false);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
