using System.ComponentModel.DataAnnotations;

namespace Mlops.Features;

/// <summary>
/// How frames run: bound from the <c>Mlops:Features</c> configuration section by
/// <c>services.AddMlops(configuration).AddFeatures()</c> and validated when the host starts; given to
/// <see cref="FrameSession"/>'s constructor without a host.
/// </summary>
/// <example>
/// <code language="json">
/// "Mlops": { "Features": { "DegreeOfParallelism": 8 } }
/// </code>
/// </example>
public sealed class FeaturesOptions
{
    /// <summary>The name of the section under <c>Mlops</c> these options are bound from (<c>Mlops:Features</c>).</summary>
    public const string SectionName = "Features";

    /// <summary>
    /// How many partitions actions (<c>Count</c>, <c>Collect</c>, joins, <c>WriteParquet</c>, text schema inference)
    /// process at once; the processor count by default. A call's own <c>degreeOfParallelism</c> or
    /// <see cref="ParquetWriteOptions.DegreeOfParallelism"/> overrides it.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int DegreeOfParallelism { get; set; } = Environment.ProcessorCount;
}
