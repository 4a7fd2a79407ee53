namespace Mlops.Features;

/// <summary>
/// What a transformer does with an invalid input value (null, or NaN in a numeric column), as Spark ML's
/// <c>handleInvalid</c> parameter.
/// </summary>
public enum HandleInvalid
{
    /// <summary>Fail with an error that names the column and the row (Spark's <c>"error"</c>, the default).</summary>
    Error,

    /// <summary>Drop the whole row (Spark's <c>"skip"</c>).</summary>
    Skip,

    /// <summary>Keep the row and output NaN for the invalid values (Spark's <c>"keep"</c>).</summary>
    Keep,
}
