using System.Diagnostics;
using Mlops.Tracking;
using Mlops.Tracking.Models;
using Mlops.Tracking.Registry;

namespace Mlops.Serving.Models;

/// <summary>
/// Loads served models through Mlops.Tracking: registry URIs resolved to a version by the
/// <see cref="ModelRegistryClient"/>, run artifacts downloaded by the <see cref="TrackingClient"/>, local folders read
/// in place; the manifest's flavor loads the files.
/// </summary>
internal sealed class ModelLoader
{
    // Loads run one at a time so the memory measured around one is that model's.
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private readonly Func<TrackingClient> _tracking;

    public ModelLoader(Func<TrackingClient> tracking) => _tracking = tracking;

    /// <summary>The registry version a URI names now (aliases and <c>latest</c> resolved), or null for runs and folders.</summary>
    public async Task<string?> ResolveVersionAsync(string uri, CancellationToken cancellationToken)
    {
        var parsed = ModelUri.Parse(uri);
        switch (parsed.Kind)
        {
            case ModelUriKind.Alias:
                return (await _tracking().Registry.GetModelVersionByAliasAsync(parsed.Name!, parsed.VersionOrAlias!, cancellationToken).ConfigureAwait(false)).Version;
            case ModelUriKind.Version:
                return (await _tracking().Registry.GetModelVersionAsync(parsed, cancellationToken).ConfigureAwait(false)).Version;
            default:
                return null;
        }
    }

    /// <summary>Loads the version of <paramref name="uri"/> (resolved by <see cref="ResolveVersionAsync"/>) and measures its memory.</summary>
    public async Task<(ILoadedModel Model, long MemoryBytes)> LoadAsync(string uri, string? version, CancellationToken cancellationToken)
    {
        var parsed = ModelUri.Parse(uri);
        var source = parsed.Kind is ModelUriKind.Alias or ModelUriKind.Version ? $"models:/{parsed.Name}/{version}" : uri;
        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var before = ResidentBytes();
            ILoadedModel model;
            if (parsed.Kind == ModelUriKind.Location && Directory.Exists(LocalPath(uri)))
            {
                var folder = LocalPath(uri);
                var manifestPath = Path.Combine(folder, ModelManifest.FileName);
                if (!File.Exists(manifestPath))
                {
                    throw new FileNotFoundException($"The folder '{folder}' has no {ModelManifest.FileName} manifest.", manifestPath);
                }

                var manifest = ModelManifest.Parse(await File.ReadAllTextAsync(manifestPath, cancellationToken).ConfigureAwait(false), manifestPath);
                model = await _tracking().Flavors.ForManifest(manifest, folder).LoadAsync(folder, manifest, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                model = await _tracking().LoadModelAsync(source, cancellationToken).ConfigureAwait(false);
            }

            return (model, Math.Max(0, ResidentBytes() - before));
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private static string LocalPath(string uri) => uri.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(uri).LocalPath : uri;

    private static long ResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
