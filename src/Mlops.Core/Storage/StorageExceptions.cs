namespace Mlops.Storage;

/// <summary>A blob or file that an operation needs does not exist.</summary>
public class BlobNotFoundException : MlopsException
{
    /// <summary>Creates the exception for the given location.</summary>
    public BlobNotFoundException(string location, Exception? innerException = null)
        : base($"'{location}' does not exist.", innerException) => Location = location;

    /// <summary>The location (path or URL) that was not found.</summary>
    public string Location { get; }
}

/// <summary>A write would replace something that exists, and the caller asked not to.</summary>
public class BlobAlreadyExistsException : MlopsException
{
    /// <summary>Creates the exception for the given location.</summary>
    public BlobAlreadyExistsException(string location, Exception? innerException = null)
        : base($"'{location}' already exists.", innerException) => Location = location;

    /// <summary>The location (path or URL) that exists.</summary>
    public string Location { get; }
}

/// <summary>Storage is not configured for a location: for example, no credentials are known for its account.</summary>
public class StorageConfigurationException : MlopsException
{
    /// <summary>Creates the exception with a message saying what is missing and how to configure it.</summary>
    public StorageConfigurationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
