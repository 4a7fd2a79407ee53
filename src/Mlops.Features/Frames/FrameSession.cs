using Mlops.Features.Csv;
using Mlops.Features.Json;
using Mlops.Features.Parquet;
using Mlops.Hosting;
using Mlops.Storage;

namespace Mlops.Features;

/// <summary>
/// Where frames come from and how they run, like Spark's <c>SparkSession</c>: the <see cref="StorageResolver"/>
/// that readers and writers resolve paths with, and the degree of parallelism of actions. A host gets one from
/// <c>services.AddMlops(configuration).AddStorage().AddFeatures()</c>, holding the host's configured storage;
/// frames it reads carry it, so their joins, actions and <c>WriteParquet</c> use it too.
/// </summary>
/// <remarks>
/// The static <see cref="Frame.ReadParquet"/>, <see cref="Frame.ReadCsv(string, CsvReadOptions?)"/> and
/// <see cref="Frame.ReadJson"/> read with <see cref="Default"/>: local folders only and the processor count. A
/// session is immutable and thread-safe. Options passed to a read win over the session: a
/// <see cref="TextReadOptions.Resolver"/> or <see cref="ParquetReadOptions.Resolver"/> that is set is used as is.
/// </remarks>
/// <example>
/// <code>
/// var session = host.Services.GetRequiredService&lt;FrameSession&gt;();
/// var clicks = session.ReadParquet("abfss://features@mydata.dfs.core.windows.net/clicks");
/// clicks.Filter(Functions.Col("label") == 1).WriteParquet("abfss://features@mydata.dfs.core.windows.net/positives");
/// </code>
/// </example>
public class FrameSession
{
    /// <summary>Creates a session.</summary>
    /// <param name="options">The degree of parallelism; defaults if null. Validated here.</param>
    /// <param name="resolver">Resolves paths; <see cref="StorageResolver.Default"/> (local folders only) if null.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public FrameSession(FeaturesOptions? options = null, StorageResolver? resolver = null)
    {
        var validated = MlopsOptions.Validate(options ?? new FeaturesOptions(), new FeaturesOptionsValidator());
        DegreeOfParallelism = validated.DegreeOfParallelism;
        MaxColumns = validated.MaxColumns;
        Resolver = resolver ?? StorageResolver.Default;
    }

    /// <summary>For mocking.</summary>
    protected FrameSession()
        : this(null, null)
    {
    }

    /// <summary>
    /// The session of code without a host: local folders only (a blob location fails saying which package to add)
    /// and <see cref="Environment.ProcessorCount"/> partitions at once. Immutable.
    /// </summary>
    public static FrameSession Default { get; } = new(new FeaturesOptions(), StorageResolver.Default);

    /// <summary>Resolves the paths this session's readers and writers are given.</summary>
    public StorageResolver Resolver { get; }

    /// <summary>How many partitions actions on this session's frames process at once.</summary>
    public int DegreeOfParallelism { get; }

    /// <summary>The most columns this session's CSV and JSON readers accept in a record, unless a read sets its own.</summary>
    public int MaxColumns { get; }

    /// <inheritdoc cref="Frame.ReadParquet"/>
    public virtual Frame ReadParquet(string path, ParquetReadOptions? options = null) =>
        ParquetScan.Read(path, options, Resolver).WithSession(this);

    /// <inheritdoc cref="Frame.ReadCsv(string, CsvReadOptions?)"/>
    public virtual Frame ReadCsv(string path, CsvReadOptions? options = null) =>
        CsvFrameReader.Read(path, options ?? new CsvReadOptions(), this);

    /// <inheritdoc cref="Frame.ReadCsv(string, bool)"/>
    public virtual Frame ReadCsv(string path, bool header) =>
        ReadCsv(path, new CsvReadOptions { Header = header, InferSchema = true });

    /// <inheritdoc cref="Frame.ReadJson"/>
    public virtual Frame ReadJson(string path, JsonReadOptions? options = null) =>
        JsonFrameReader.Read(path, options ?? new JsonReadOptions(), this);
}
