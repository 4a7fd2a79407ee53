using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;
using Mlops.Features;

namespace RecommendationEngine;

/// <summary>
/// Generates e-commerce data shaped like the seed story's inputs, with the defects real data has:
/// clicks from users who have no profile, profiles without an age, quoted product names with commas.
/// Everything is derived from a seed, so two runs produce identical files.
/// </summary>
public sealed class SyntheticData
{
    /// <summary>The clicks schema the feature job expects (extra columns are allowed).</summary>
    public static readonly Schema ClicksSchema = new Schema.Builder()
        .Field(f => f.Name("user_id").DataType(Int64Type.Default).Nullable(false))
        .Field(f => f.Name("product_id").DataType(Int64Type.Default).Nullable(false))
        .Field(f => f.Name("click_duration").DataType(DoubleType.Default).Nullable(false))
        .Field(f => f.Name("event_time").DataType(new TimestampType(TimeUnit.Microsecond, "UTC")).Nullable(false))
        .Field(f => f.Name("label").DataType(Int32Type.Default).Nullable(false))
        .Build();

    private const int ClicksPerPartition = 262_144;
    private static readonly DateTime End = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Countries = ["US", "DE", "IN", "BR", "JP", "FR", "GB", "NG"];
    private static readonly string[] Categories = ["Electronics", "Books", "Home, Garden", "Toys \"& Games\"", "Sports", "Beauty"];

    /// <summary>Creates a generator.</summary>
    public SyntheticData(long clicks, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clicks, 1);
        Clicks = clicks;
        Seed = seed;
        Users = (int)Math.Clamp(clicks / 50, 100, 200_000);
        Products = (int)Math.Clamp(clicks / 500, 50, 20_000);
    }

    /// <summary>Number of click rows.</summary>
    public long Clicks { get; }

    /// <summary>The seed everything derives from.</summary>
    public int Seed { get; }

    /// <summary>Number of user ids clicks refer to; about 4% of them have no profile.</summary>
    public int Users { get; }

    /// <summary>Number of products in the catalog.</summary>
    public int Products { get; }

    /// <summary>Writes <c>clicks/</c> (Parquet), <c>user_profiles.jsonl</c> and <c>product_catalog.csv</c> under <paramref name="directory"/>.</summary>
    public GeneratedFiles Write(string directory, ConsoleProgress? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        var users = Path.Combine(directory, "user_profiles.jsonl");
        var products = Path.Combine(directory, "product_catalog.csv");
        var clicks = Path.Combine(directory, "clicks");
        WriteUsers(users);
        WriteProducts(products);
        var frame = ClicksFrame();
        if (progress is not null)
        {
            frame = frame.MapBatches(frame.Schema, b => { progress.Add(b.Length); return b; }, preservesRowCount: true);
        }

        frame.WriteParquet(clicks, new ParquetWriteOptions { Mode = SaveMode.Overwrite }, cancellationToken);
        return new GeneratedFiles(clicks, users, products);
    }

    /// <summary>The clicks as a lazy frame: each partition generates its rows from its own seed, in parallel.</summary>
    public Frame ClicksFrame()
    {
        var partitions = (int)((Clicks + ClicksPerPartition - 1) / ClicksPerPartition);
        var list = new FramePartition[partitions];
        for (var p = 0; p < partitions; p++)
        {
            var start = (long)p * ClicksPerPartition;
            var count = (int)Math.Min(ClicksPerPartition, Clicks - start);
            var seed = unchecked((int)Mix(p, Seed)); // HashCode.Combine is randomised per process; this is stable
            list[p] = _ => [GenerateClicks(seed, count)];
        }

        return Frame.FromPartitions(ClicksSchema, list, Clicks, rowCountIsExact: true);
    }

    /// <summary>The probability that a click converts, given the features; the label is drawn from it so a model has something to learn.</summary>
    public static double ConversionProbability(double age, double price, double duration)
    {
        var z = -1.0 + (0.035 * (age - 40)) - (0.004 * (price - 100)) + (0.04 * (duration - 30));
        return 1.0 / (1.0 + Math.Exp(-z));
    }

    /// <summary>The age of a user, as written in the profiles (deterministic per id).</summary>
    public int AgeOf(long userId) => 18 + (int)(Mix(userId, 1) % 60);

    /// <summary>The price of a product, as written in the catalog (deterministic per id).</summary>
    public double PriceOf(long productId) => Math.Round(2 + ((Mix(productId, 2) % 50_000) / 100.0), 2);

    private static ulong Mix(long id, int salt)
    {
        var x = (ulong)id * 0x9E3779B97F4A7C15UL ^ (ulong)salt * 0xC2B2AE3D27D4EB4FUL;
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9UL;
        return x ^ (x >> 29);
    }

    private bool HasProfile(long userId) => Mix(userId, 3) % 100 >= 4;

    private bool HasAge(long userId) => Mix(userId, 4) % 100 >= 3;

    private RecordBatch GenerateClicks(int seed, int count)
    {
        var random = new Random(seed);
        var userIds = (PrimitiveColumnBuilder<long>)ColumnBuilder.Create(Int64Type.Default, count);
        var productIds = (PrimitiveColumnBuilder<long>)ColumnBuilder.Create(Int64Type.Default, count);
        var durations = (PrimitiveColumnBuilder<double>)ColumnBuilder.Create(DoubleType.Default, count);
        var times = (PrimitiveColumnBuilder<long>)ColumnBuilder.Create(ClicksSchema.FieldsList[3].DataType, count);
        var labels = (PrimitiveColumnBuilder<int>)ColumnBuilder.Create(Int32Type.Default, count);
        var endMicros = (End - DateTime.UnixEpoch).Ticks / 10;
        const long thirtyDaysMicros = 30L * 24 * 3600 * 1_000_000;
        for (var i = 0; i < count; i++)
        {
            var user = 1 + random.NextInt64(Users);
            var product = 1 + random.NextInt64(Products);
            var duration = Math.Round(-Math.Log(1 - random.NextDouble()) * 30, 3);
            userIds.Append(user);
            productIds.Append(product);
            durations.Append(duration);
            times.Append(endMicros - random.NextInt64(thirtyDaysMicros));
            var p = ConversionProbability(AgeOf(user), PriceOf(product), duration);
            labels.Append(random.NextDouble() < p ? 1 : 0);
        }

        return new RecordBatch(ClicksSchema, [userIds.Build(), productIds.Build(), durations.Build(), times.Build(), labels.Build()], count);
    }

    private void WriteUsers(string path)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        for (long id = 1; id <= Users; id++)
        {
            if (!HasProfile(id))
            {
                continue;
            }

            var country = Countries[Mix(id, 5) % (ulong)Countries.Length];
            var signup = End.AddDays(-(double)(Mix(id, 6) % 2000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var premium = Mix(id, 7) % 5 == 0 ? "true" : "false";
            writer.Write("{\"user_id\":");
            writer.Write(id.ToString(CultureInfo.InvariantCulture));
            if (HasAge(id))
            {
                writer.Write(",\"user_age\":");
                writer.Write(AgeOf(id).ToString(CultureInfo.InvariantCulture));
            }

            writer.Write($",\"country\":\"{country}\",\"signup_date\":\"{signup}\",\"is_premium\":{premium}}}\n");
        }
    }

    private void WriteProducts(string path)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        writer.Write("product_id,product_name,category,product_price,in_stock\n");
        for (long id = 1; id <= Products; id++)
        {
            var category = Categories[Mix(id, 8) % (ulong)Categories.Length];
            var name = $"Item {id} \"{category.Split(' ')[0]}\"";
            writer.Write(id.ToString(CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write(Quote(name));
            writer.Write(',');
            writer.Write(Quote(category));
            writer.Write(',');
            writer.Write(PriceOf(id).ToString("0.00", CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write(Mix(id, 9) % 10 == 0 ? "false" : "true");
            writer.Write('\n');
        }
    }

    private static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\"\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}

/// <summary>Where the generated inputs are.</summary>
public sealed record GeneratedFiles(string Clicks, string UserProfiles, string ProductCatalog);
