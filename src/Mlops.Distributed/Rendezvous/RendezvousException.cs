namespace Mlops.Distributed.Rendezvous;

/// <summary>The rendezvous store could not be reached, refused this process, or failed.</summary>
public class RendezvousException : MlopsException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public RendezvousException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
