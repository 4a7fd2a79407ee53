using Mlops.Features;

namespace RecommendationEngine;

/// <summary>
/// The seed story's Spark job: clicks ⋈ user profiles on user_id ⋈ products on product_id, then a
/// VectorAssembler over [user_age, product_price, click_duration] into "features" (rows with a missing
/// input are skipped), written as Parquet part files with the label and key columns kept.
/// </summary>
public static class FeatureJob
{
    /// <summary>The assembled input columns, in slot order.</summary>
    public static readonly string[] FeatureColumns = ["user_age", "product_price", "click_duration"];

    /// <summary>Builds the job's output frame (lazy: nothing is read until it is written).</summary>
    public static Frame Plan(string dataDirectory)
    {
        var clicks = Frame.ReadParquet(Path.Combine(dataDirectory, "clicks"));
        var users = Frame.ReadJson(Path.Combine(dataDirectory, "user_profiles.jsonl"));
        var products = Frame.ReadCsv(Path.Combine(dataDirectory, "product_catalog.csv"), new CsvReadOptions { Header = true, InferSchema = true });
        return Plan(clicks, users, products);
    }

    /// <summary>Builds the job's output frame from already opened inputs.</summary>
    public static Frame Plan(Frame clicks, Frame users, Frame products)
    {
        var joined = clicks.Join(users, "user_id").Join(products, "product_id");
        var assembled = new VectorAssembler()
            .SetInputCols(FeatureColumns)
            .SetOutputCol("features")
            .SetHandleInvalid(HandleInvalid.Skip)
            .Transform(joined);
        return assembled.Select("user_id", "product_id", "features", "label");
    }
}
