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

    /// <summary>
    /// The most columns the CSV and JSON readers accept in a record (<see cref="DefaultMaxColumns"/>, 10,000,
    /// by default); a read's own <see cref="TextReadOptions.MaxColumns"/> overrides it. A wider file fails
    /// with a <see cref="DataFormatException"/> naming the file, the line and the limit.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxColumns { get; set; } = DefaultMaxColumns;

    /// <summary>The default of <see cref="MaxColumns"/>: 10,000.</summary>
    public const int DefaultMaxColumns = 10_000;
}
