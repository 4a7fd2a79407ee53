using Mlops.Hosting;
using Mlops.Tracking;

namespace Mlops.Training.Tracking;

/// <summary>Adds the TorchSharp model flavor to the host's <see cref="MlopsBuilder"/>.</summary>
public static class TrainingTrackingMlopsBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="TorchSharpModelFlavor"/> to the container's model flavors, so its tracking client logs trained
    /// <see cref="Model"/>s and loads <c>torchsharp</c> models. Without a host: <c>client.Flavors.Add(new TorchSharpModelFlavor())</c>.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddTorchSharpFlavor(this MlopsBuilder builder) => builder.AddModelFlavor<TorchSharpModelFlavor>();
}
