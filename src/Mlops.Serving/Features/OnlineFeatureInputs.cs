namespace Mlops.Serving.Features;

/// <summary>
/// How a served model's requests are completed with online features from the feature store (package Mlops.Features):
/// the request carries entity ids (such as <c>user_id</c> INT64 [N]); the features are looked up for each row and
/// added as model inputs before the request is validated and batched.
/// </summary>
public sealed class OnlineFeatureInputs
{
    /// <summary>The request inputs that are join keys, named as the entities' join keys (INT64, INT32 or BYTES tensors of shape [N]).</summary>
    public List<string> EntityInputs { get; set; } = [];

    /// <summary>The features to look up, as <c>view:feature</c> references, in the order they are added.</summary>
    public List<string> Features { get; set; } = [];

    /// <summary>
    /// When set, the looked-up features are assembled, in <see cref="Features"/> order (vector features expanded), into one
    /// FP32 [N, k] input of this name, as a <c>VectorAssembler</c> built the training rows; when null, each feature becomes
    /// an input of its own named like the feature (FP32, FP64, INT64, BOOL or BYTES [N]).
    /// </summary>
    public string? VectorInput { get; set; }

    /// <summary>Keep the entity inputs in the request the model sees (false: they are removed, the model takes only features).</summary>
    public bool KeepEntityInputs { get; set; }

    /// <summary>
    /// The value used for a feature that is not PRESENT (not found, null, or older than its view's TTL); null (the
    /// default) fails the request with a 400 naming the entity row, the feature and its status.
    /// </summary>
    public double? MissingValue { get; set; }
}
