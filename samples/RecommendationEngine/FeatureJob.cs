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

    /// <summary>
    /// Builds the job's output frame over the inputs under <paramref name="dataDirectory"/>, read through
    /// <paramref name="session"/> (the host's storage and parallelism); lazy: nothing is read until it is written.
    /// </summary>
    public static Frame Plan(FrameSession session, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(session);
        var clicks = session.ReadParquet(Path.Combine(dataDirectory, "clicks"), new ParquetReadOptions { Columns = ["user_id", "product_id", "click_duration", "label"] });
        var (users, products) = ReadDimensions(session, dataDirectory);
        return Plan(clicks, users, products);
    }

    /// <summary>Builds the job's output frame as <see cref="Plan(FrameSession, string)"/> does, for code without a host (<see cref="FrameSession.Default"/>).</summary>
    public static Frame Plan(string dataDirectory) => Plan(FrameSession.Default, dataDirectory);

    /// <summary>Opens the user profiles (JSON lines) and the product catalog (CSV with a header, types inferred).</summary>
    public static (Frame Users, Frame Products) ReadDimensions(FrameSession session, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(session);
        return (
            session.ReadJson(Path.Combine(dataDirectory, "user_profiles.jsonl")),
            session.ReadCsv(Path.Combine(dataDirectory, "product_catalog.csv"), new CsvReadOptions { Header = true, InferSchema = true }));
    }

    /// <summary>Builds the job's output frame from already opened inputs.</summary>
    public static Frame Plan(Frame clicks, Frame users, Frame products)
    {
        // Only the columns the output needs go into the joins, so no other column is gathered per row
        // (what Spark's optimizer does by itself with column pruning).
        var joined = clicks.Select("user_id", "product_id", "click_duration", "label")
            .Join(users.Select("user_id", "user_age"), "user_id")
            .Join(products.Select("product_id", "product_price"), "product_id");
        var assembled = new VectorAssembler()
            .SetInputCols(FeatureColumns)
            .SetOutputCol("features")
            .SetHandleInvalid(HandleInvalid.Skip)
            .Transform(joined);
        return assembled.Select("user_id", "product_id", "features", "label");
    }
}
