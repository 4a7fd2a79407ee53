using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Mlops.Training.Tracking;

/// <summary>Registers the TorchSharp flavor as soon as this assembly loads.</summary>
internal static class FlavorRegistration
{
    // Whoever holds a trained Model has loaded this assembly, so `run.LogModel(model)` and
    // `tracking.LoadModel(uri)` work without a registration call the user could forget. Registration only adds an
    // entry to the flavor list; it touches no native code.
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Registration is cheap and has no side effects beyond the flavor list; see the comment above.")]
    internal static void Register() => TorchSharpModelFlavor.Register();
}
