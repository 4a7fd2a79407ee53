namespace Mlops.Tracking.Registry;

/// <summary>MLflow's checks of registry descriptions, tags and sources, with its <c>_validate_length_limit</c> messages.</summary>
internal static class RegistryValidation
{
    public static string Description(string field, string? description)
    {
        description ??= "";
        Limit(field, RegistryLimits.MaxDescriptionLength, description);
        return description;
    }

    // entity: "Registered model" or "Model version", as MLflow names them in messages.
    public static void Tag(string entity, string key, string? value)
    {
        Limit($"{entity} tag key", RegistryLimits.MaxTagKeyLength, key ?? "");
        TrackingValidation.ValidateKey("tag", key!);
        if (value is null)
        {
            throw MlflowException.InvalidParameter($"{entity} tag '{key}' has a null value.");
        }

        Limit($"{entity} tag value", RegistryLimits.MaxTagValueLength, value);
    }

    public static void Tags(string entity, IReadOnlyDictionary<string, string>? tags)
    {
        foreach (var (key, value) in tags ?? new Dictionary<string, string>())
        {
            Tag(entity, key, value);
        }
    }

    public static void Source(string source)
    {
        if (string.IsNullOrWhiteSpace(source))
        {
            throw MlflowException.InvalidParameter("Missing value for required parameter 'source'.");
        }

        Limit("source", RegistryLimits.MaxSourceLength, source);
    }

    private static void Limit(string field, int limit, string value)
    {
        if (value.Length > limit)
        {
            throw MlflowException.InvalidParameter(
                $"'{field}' '{value[..Math.Min(20, value.Length)]}...' had length {value.Length}, which exceeded length limit of {limit}.");
        }
    }
}
