using System.Text.Json.Serialization;

namespace Mlops.Features.FeatureStore.Definitions;

/// <summary>
/// Where a feature view's rows come from (Feast's <c>DataSource</c>): the event-timestamp column, an optional
/// created-timestamp column that breaks ties between rows of one entity and event time, and a mapping from source
/// column names to feature (and timestamp) names. Join-key columns are never mapped, as in Feast.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(FileSource), "file")]
[JsonDerivedType(typeof(PushSource), "push")]
public abstract record DataSource
{
    /// <summary>Initializes a source.</summary>
    /// <param name="name">The source's name.</param>
    /// <param name="timestampField">The event-timestamp column (after <see cref="FieldMapping"/>).</param>
    protected DataSource(string name, string timestampField)
    {
        Name = name;
        TimestampField = timestampField;
    }

    /// <summary>The source's name.</summary>
    public string Name { get; init; }

    /// <summary>The event-timestamp column, named as after <see cref="FieldMapping"/>.</summary>
    public string TimestampField { get; init; }

    /// <summary>The created-timestamp column (tie-break among rows with one event timestamp), or null.</summary>
    public string? CreatedTimestampField { get; init; }

    /// <summary>Source column name to feature or timestamp name.</summary>
    public IReadOnlyDictionary<string, string> FieldMapping { get; init; } = new Dictionary<string, string>();

    /// <summary>What the source holds.</summary>
    public string? Description { get; init; }

    /// <summary>Free-form tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Who owns it.</summary>
    public string? Owner { get; init; }

    /// <summary>The batch (file) source the offline store reads: this source itself, or a push source's batch source.</summary>
    [JsonIgnore]
    public abstract FileSource? BatchSource { get; }

    /// <inheritdoc/>
    public virtual bool Equals(DataSource? other) =>
        other is not null && other.GetType() == GetType() && Name == other.Name && TimestampField == other.TimestampField &&
        CreatedTimestampField == other.CreatedTimestampField && DefinitionEquality.SameMap(FieldMapping, other.FieldMapping) &&
        Description == other.Description && Owner == other.Owner && DefinitionEquality.SameTags(Tags, other.Tags);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, TimestampField);
}

/// <summary>The format of a <see cref="FileSource"/>.</summary>
public enum FileFormat
{
    /// <summary>Parquet files.</summary>
    Parquet,

    /// <summary>CSV files with a header row (schema inferred).</summary>
    Csv,

    /// <summary>JSON-lines files (schema inferred).</summary>
    JsonLines,
}

/// <summary>
/// Rows in files: a Parquet, CSV or JSON-lines file, folder of part files or glob, on local or blob storage (read
/// through the store's <see cref="FrameSession"/>). Pushes to the offline store add part files under the folder.
/// </summary>
public sealed record FileSource : DataSource
{
    /// <summary>Creates a file source.</summary>
    /// <param name="name">The source's name.</param>
    /// <param name="path">A file, folder or glob (local path or blob URI).</param>
    /// <param name="timestampField">The event-timestamp column.</param>
    /// <param name="format">The files' format.</param>
    public FileSource(string name, string path, string timestampField = "event_timestamp", FileFormat format = FileFormat.Parquet)
        : base(name, timestampField)
    {
        Path = path;
        Format = format;
    }

    /// <summary>A file, folder or glob.</summary>
    public string Path { get; init; }

    /// <summary>The files' format.</summary>
    public FileFormat Format { get; init; }

    /// <inheritdoc/>
    [JsonIgnore]
    public override FileSource? BatchSource => this;

    /// <inheritdoc/>
    public bool Equals(FileSource? other) => base.Equals(other) && Path == other.Path && Format == other.Format;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Path);
}

/// <summary>
/// A source rows are pushed to (Feast's <c>PushSource</c>): <c>PushAsync</c> writes them online to every view over
/// this source and, when it has a <see cref="Batch"/> source, offline as a new part file there. Without a batch source
/// the views are online only (historical retrieval and materialization refuse them).
/// </summary>
public sealed record PushSource : DataSource
{
    /// <summary>Creates a push source.</summary>
    /// <param name="name">The name pushes use.</param>
    /// <param name="batch">The offline copy, or null for online only.</param>
    public PushSource(string name, FileSource? batch)
        : base(name, batch?.TimestampField ?? "event_timestamp")
    {
        Batch = batch;
        CreatedTimestampField = batch?.CreatedTimestampField;
        FieldMapping = batch?.FieldMapping ?? new Dictionary<string, string>();
    }

    /// <summary>The offline copy, or null.</summary>
    public FileSource? Batch { get; init; }

    /// <inheritdoc/>
    [JsonIgnore]
    public override FileSource? BatchSource => Batch;

    /// <inheritdoc/>
    public bool Equals(PushSource? other) => base.Equals(other) && Equals(Batch, other.Batch);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Batch);
}
