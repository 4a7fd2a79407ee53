namespace Mlops;

/// <summary>The base of every exception the Mlops packages throw on purpose.</summary>
public class MlopsException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public MlopsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public MlopsException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
