namespace Mlops;

/// <summary>An operation refers to a column that does not exist, or to columns whose types do not fit it.</summary>
public class SchemaException : MlopsException
{
    /// <summary>Creates the exception.</summary>
    public SchemaException(string message)
        : base(message)
    {
    }
}
