using Mlops.Tracking.Models;

namespace RecommendationEngine.Training;

/// <summary>The signature of the seed's model: the assembled feature vector in, the click probability out.</summary>
public static class ModelSignatures
{
    /// <summary>The input tensor's name (the feature job's vector column).</summary>
    public const string Input = "features";

    /// <summary>The output tensor's name.</summary>
    public const string Output = "prediction";

    /// <summary><c>features</c> FP32 [-1, width] → <c>prediction</c> FP32 [-1, 1].</summary>
    public static ModelSignature ForFeatures(int width) =>
        new([SignatureField.Tensor(Input, "float32", -1, width)], [SignatureField.Tensor(Output, "float32", -1, 1)]);
}
