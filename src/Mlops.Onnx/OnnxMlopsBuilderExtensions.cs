using Mlops.Hosting;
using Mlops.Tracking;

namespace Mlops.Onnx;

/// <summary>Adds the ONNX model flavor to the host's <see cref="MlopsBuilder"/>.</summary>
public static class OnnxMlopsBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="OnnxModelFlavor"/> to the container's model flavors, so its tracking client logs
    /// <see cref="OnnxModel"/>s and loads <c>onnx</c> models (ours and Python MLflow's). Without a host:
    /// <c>client.Flavors.Add(new OnnxModelFlavor())</c>.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddOnnxFlavor(this MlopsBuilder builder) => builder.AddModelFlavor<OnnxModelFlavor>();
}
