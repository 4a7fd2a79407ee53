namespace Mlops.Training.Runtime;

/// <summary>TorchSharp or libtorch could not be loaded or initialised; the message says why and what to do.</summary>
public sealed class TorchLoadException : MlopsException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, why, and what to do.</param>
    /// <param name="innerException">The loader's own error, if any.</param>
    public TorchLoadException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
