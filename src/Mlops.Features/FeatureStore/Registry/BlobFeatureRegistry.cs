using System.Text;
using Mlops.Storage;

namespace Mlops.Features.FeatureStore.Registry;

/// <summary>
/// A registry kept as one JSON file per project on a <see cref="BlobStore"/> (a local folder or a blob container),
/// like Feast's file registry: replaced atomically (the store's committed write), last writer wins across processes.
/// Use it where a SQLite file cannot be shared; within a process applies serialize.
/// </summary>
public class BlobFeatureRegistry : FeatureRegistry
{
    private readonly StorageLocation _location;
    private readonly object _gate = new();

    /// <summary>Creates a registry at <paramref name="location"/> (the JSON file).</summary>
    /// <param name="location">The file; its folder is created as needed.</param>
    /// <param name="project">The project.</param>
    /// <param name="refreshInterval">How long readers reuse a snapshot.</param>
    /// <param name="timeProvider">The refresh clock.</param>
    public BlobFeatureRegistry(StorageLocation location, string project, TimeSpan refreshInterval = default, TimeProvider? timeProvider = null)
        : base(project, refreshInterval, timeProvider)
    {
        ArgumentNullException.ThrowIfNull(location);
        _location = location;
    }

    /// <inheritdoc/>
    protected override string? ReadDocument()
    {
        if (!_location.Store.Exists(_location.Path))
        {
            return null;
        }

        using var stream = _location.Store.OpenRead(_location.Path);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <inheritdoc/>
    protected override void UpdateDocument(Func<string?, string?> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            var next = change(ReadDocument());
            if (next is null)
            {
                return;
            }

            using var stream = _location.Store.OpenWrite(_location.Path, overwrite: true);
            var bytes = Encoding.UTF8.GetBytes(next);
            stream.Write(bytes);
            stream.Commit();
        }
    }

    /// <inheritdoc/>
    protected override string Describe() => $"{_location} (project '{Project}')";
}
