namespace Mlops.Tracking.Models;

/// <summary>
/// The model flavors one <see cref="TrackingClient"/> logs and loads with (<see cref="TrackingClient.Flavors"/>). In a
/// host, flavor packages add theirs through the builder (<c>.AddMLNetFlavor()</c>, <c>.AddTorchSharpFlavor()</c>) and the
/// container's client gets this registry; without a host, create one with <see cref="Create"/> or call <see cref="Add"/>
/// on the client's. Thread-safe.
/// </summary>
public sealed class ModelFlavorRegistry
{
    private readonly Lock _lock = new();
    private IReadOnlyList<IModelFlavor> _flavors = [];

    /// <summary>An empty registry.</summary>
    public ModelFlavorRegistry()
    {
    }

    /// <summary>A registry holding <paramref name="flavors"/> (a later one replaces an earlier one of the same name).</summary>
    /// <param name="flavors">The flavors, such as the <see cref="IModelFlavor"/> services of a container.</param>
    public ModelFlavorRegistry(IEnumerable<IModelFlavor> flavors)
    {
        ArgumentNullException.ThrowIfNull(flavors);
        foreach (var flavor in flavors)
        {
            Add(flavor);
        }
    }

    /// <summary>A registry holding <paramref name="flavors"/>, for a client made without a host.</summary>
    /// <param name="flavors">The flavors (a later one replaces an earlier one of the same name).</param>
    /// <returns>The new registry.</returns>
    public static ModelFlavorRegistry Create(params IModelFlavor[] flavors) => new(flavors);

    /// <summary>The registered flavors, in registration order.</summary>
    public IReadOnlyList<IModelFlavor> All
    {
        get
        {
            lock (_lock)
            {
                return _flavors;
            }
        }
    }

    /// <summary>Adds a flavor, replacing one of the same name.</summary>
    /// <param name="flavor">The flavor.</param>
    /// <returns>This registry, for chaining.</returns>
    public ModelFlavorRegistry Add(IModelFlavor flavor)
    {
        ArgumentNullException.ThrowIfNull(flavor);
        if (string.IsNullOrWhiteSpace(flavor.Name))
        {
            throw new ArgumentException($"The model flavor {flavor.GetType().FullName} has no name; a manifest names the flavors that can load it.", nameof(flavor));
        }

        lock (_lock)
        {
            _flavors = [.. _flavors.Where(f => f.Name != flavor.Name), flavor];
        }

        return this;
    }

    /// <summary>Adds a flavor unless one of the same name is registered.</summary>
    /// <param name="flavor">The flavor.</param>
    /// <returns>True if it was added.</returns>
    public bool TryAdd(IModelFlavor flavor)
    {
        ArgumentNullException.ThrowIfNull(flavor);
        if (string.IsNullOrWhiteSpace(flavor.Name))
        {
            throw new ArgumentException($"The model flavor {flavor.GetType().FullName} has no name; a manifest names the flavors that can load it.", nameof(flavor));
        }

        lock (_lock)
        {
            if (_flavors.Any(f => f.Name == flavor.Name))
            {
                return false;
            }

            _flavors = [.. _flavors, flavor];
            return true;
        }
    }

    /// <summary>The first flavor that can save the object.</summary>
    /// <param name="model">The model to log.</param>
    /// <returns>The flavor.</returns>
    /// <exception cref="MlflowException">None can (INVALID_PARAMETER_VALUE), naming its type and the registered flavors.</exception>
    public IModelFlavor ForModel(object model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var all = All;
        return all.FirstOrDefault(f => f.CanSave(model)) ?? throw MlflowException.InvalidParameter(
            $"No model flavor of this tracking client can save an object of type {model.GetType().FullName}. Registered flavors: [{string.Join(", ", all.Select(f => f.Name))}]. " +
            "Add the flavor for it: .AddMLNetFlavor() or .AddTorchSharpFlavor() on the host's Mlops builder, or client.Flavors.Add(...) without a host.");
    }

    /// <summary>The first registered flavor the manifest lists.</summary>
    /// <param name="manifest">The model's manifest.</param>
    /// <param name="source">Where the model is, for the error message.</param>
    /// <returns>The flavor.</returns>
    /// <exception cref="MlflowException">None is registered (INVALID_PARAMETER_VALUE), naming the manifest's and the registered flavors.</exception>
    public IModelFlavor ForManifest(ModelManifest manifest, string source)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var all = All;
        return all.FirstOrDefault(f => manifest.Flavors.ContainsKey(f.Name)) ?? throw MlflowException.InvalidParameter(
            $"The model at {source} has flavors [{string.Join(", ", manifest.Flavors.Keys)}], none of which this tracking client has ([{string.Join(", ", all.Select(f => f.Name))}]). " +
            "Add the flavor: .AddMLNetFlavor() or .AddTorchSharpFlavor() on the host's Mlops builder, or client.Flavors.Add(...) without a host.");
    }
}
