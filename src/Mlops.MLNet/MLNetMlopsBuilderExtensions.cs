using Mlops.Hosting;
using Mlops.Tracking;

namespace Mlops.MLNet;

/// <summary>Adds the ML.NET model flavor to the host's <see cref="MlopsBuilder"/>.</summary>
public static class MLNetMlopsBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="MLNetFlavor"/> to the container's model flavors, so its tracking client logs <see cref="MLNetModel"/>s
    /// and loads <c>mlnet</c> models. Without a host: <c>client.Flavors.Add(new MLNetFlavor())</c>.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddMLNetFlavor(this MlopsBuilder builder) => builder.AddModelFlavor<MLNetFlavor>();
}
