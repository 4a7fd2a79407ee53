using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mlops.Hosting;
using Mlops.Tracking.Models;

namespace Mlops.Tracking;

/// <summary>Adds model flavors to the host's <see cref="MlopsBuilder"/>; the container's <see cref="TrackingClient"/> logs and loads with them.</summary>
public static class ModelFlavorMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TFlavor"/> as an <see cref="IModelFlavor"/> service (once per type) and the
    /// <see cref="ModelFlavorRegistry"/> built from all of them, which the container's tracking client uses. Flavor
    /// packages call this from their own <c>AddXxxFlavor()</c>; an application's own flavor can be added the same way.
    /// </summary>
    /// <typeparam name="TFlavor">The flavor, created by the container.</typeparam>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddModelFlavor<TFlavor>(this MlopsBuilder builder)
        where TFlavor : class, IModelFlavor
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IModelFlavor, TFlavor>());
        AddFlavorRegistry(builder.Services);
        return builder;
    }

    // The registry is the container's flavors in registration order; registered whether tracking or a flavor comes first.
    internal static void AddFlavorRegistry(IServiceCollection services) =>
        services.TryAddSingleton(provider => new ModelFlavorRegistry(provider.GetServices<IModelFlavor>()));
}
