namespace Mlops.Features.FeatureStore;

/// <summary>A definition is invalid; the message names the object (kind and name) and the field at fault.</summary>
public class FeatureDefinitionException : MlopsException
{
    /// <summary>Creates the exception.</summary>
    public FeatureDefinitionException(string message)
        : base(message)
    {
    }
}

/// <summary>A request names a feature view, feature, feature service or push source the registry does not have.</summary>
public class FeatureReferenceException : MlopsException
{
    /// <summary>Creates the exception.</summary>
    public FeatureReferenceException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Two requested features would get the same output name (Feast's <c>FeatureNameCollisionError</c>); ask for full
/// feature names (<c>view__feature</c>) or request fewer.
/// </summary>
public class FeatureNameCollisionException : FeatureReferenceException
{
    /// <summary>Creates the exception.</summary>
    public FeatureNameCollisionException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// The entities given to a retrieval do not fit the requested views: a join key column is missing or has the wrong
/// type, the event-timestamp column is missing or null, or a request field is missing. The message names the column
/// and view.
/// </summary>
public class EntityDataException : SchemaException
{
    /// <summary>Creates the exception.</summary>
    public EntityDataException(string message)
        : base(message)
    {
    }
}
