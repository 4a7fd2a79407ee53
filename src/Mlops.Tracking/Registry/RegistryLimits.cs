namespace Mlops.Tracking.Registry;

/// <summary>
/// MLflow's size limits for the model registry (<c>mlflow/utils/validation.py</c> and the column sizes of its SQL
/// schema, <c>mlflow/store/model_registry/dbmodels/models.py</c>); a request over one fails with INVALID_PARAMETER_VALUE
/// naming the field and the limit, so a registry entry stays small however it is written.
/// </summary>
public static class RegistryLimits
{
    /// <summary>The longest registered model name: 256 (the <c>registered_models.name</c> column).</summary>
    public const int MaxNameLength = 256;

    /// <summary>The longest description of a registered model or a version: 5,000 (the <c>description</c> columns).</summary>
    public const int MaxDescriptionLength = 5000;

    /// <summary>The longest tag key: 250 (<c>MAX_MODEL_REGISTRY_TAG_KEY_LENGTH</c>).</summary>
    public const int MaxTagKeyLength = 250;

    /// <summary>The longest tag value: 5,000 (<c>MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH</c>).</summary>
    public const int MaxTagValueLength = 5000;

    /// <summary>The longest alias: 255 (<c>MAX_REGISTERED_MODEL_ALIAS_LENGTH</c>).</summary>
    public const int MaxAliasLength = 255;

    /// <summary>The longest model version source: 500 (the <c>model_versions.source</c> column).</summary>
    public const int MaxSourceLength = 500;
}
