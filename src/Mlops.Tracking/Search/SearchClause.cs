namespace Mlops.Tracking.Search;

/// <summary>What a search identifier refers to.</summary>
public enum SearchEntity
{
    /// <summary><c>metrics.key</c> (alias <c>metric.</c>): the latest value of a metric.</summary>
    Metric,

    /// <summary><c>params.key</c> (aliases <c>param.</c>, <c>parameter.</c>, <c>parameters.</c>).</summary>
    Param,

    /// <summary><c>tags.key</c> (alias <c>tag.</c>).</summary>
    Tag,

    /// <summary><c>attributes.key</c> (aliases <c>attribute.</c>, <c>attr.</c>, <c>run.</c>): a field of the run's info.</summary>
    Attribute,
}

/// <summary>A comparator of MLflow's filter grammar.</summary>
public enum SearchComparator
{
    /// <summary><c>=</c></summary>
    Equal,

    /// <summary><c>!=</c></summary>
    NotEqual,

    /// <summary><c>&gt;</c></summary>
    Greater,

    /// <summary><c>&gt;=</c></summary>
    GreaterOrEqual,

    /// <summary><c>&lt;</c></summary>
    Less,

    /// <summary><c>&lt;=</c></summary>
    LessOrEqual,

    /// <summary><c>LIKE</c>: case-sensitive pattern with <c>%</c> and <c>_</c>.</summary>
    Like,

    /// <summary><c>ILIKE</c>: case-insensitive pattern.</summary>
    ILike,

    /// <summary><c>IN ('a', 'b')</c> (run ids only).</summary>
    In,

    /// <summary><c>NOT IN ('a', 'b')</c> (run ids only).</summary>
    NotIn,

    /// <summary><c>IS NULL</c> (params and tags): the run does not have the key.</summary>
    IsNull,

    /// <summary><c>IS NOT NULL</c> (params and tags): the run has the key.</summary>
    IsNotNull,
}

/// <summary>An identifier in a filter or order_by: the entity and its key (attribute keys are canonical).</summary>
/// <param name="Entity">Metric, param, tag or attribute.</param>
/// <param name="Key">The key; for attributes one of <see cref="RunAttributes"/>' names.</param>
public sealed record SearchIdentifier(SearchEntity Entity, string Key)
{
    /// <summary>True for an attribute compared as a number (start_time, end_time).</summary>
    public bool IsNumericAttribute => Entity == SearchEntity.Attribute && RunAttributes.IsNumeric(Key);

    /// <inheritdoc/>
    public override string ToString() => Entity switch
    {
        SearchEntity.Metric => "metrics.",
        SearchEntity.Param => "params.",
        SearchEntity.Tag => "tags.",
        _ => "attributes.",
    } + Key;
}

/// <summary>One AND-ed comparison of a filter.</summary>
/// <param name="Identifier">The left side.</param>
/// <param name="Comparator">The comparator.</param>
/// <param name="Number">The right side for metrics and numeric attributes.</param>
/// <param name="Text">The right side for params, tags and string attributes, and LIKE patterns.</param>
/// <param name="Values">The right side of IN and NOT IN.</param>
public sealed record SearchClause(
    SearchIdentifier Identifier,
    SearchComparator Comparator,
    double Number = 0,
    string? Text = null,
    IReadOnlyList<string>? Values = null);

/// <summary>One key of an order_by list.</summary>
/// <param name="Identifier">What to sort by.</param>
/// <param name="Ascending">ASC (true, the default) or DESC.</param>
public sealed record OrderByKey(SearchIdentifier Identifier, bool Ascending);

/// <summary>The run attributes that filters and order_by may name.</summary>
public static class RunAttributes
{
    /// <summary>The run id.</summary>
    public const string RunId = "run_id";

    /// <summary>The run name.</summary>
    public const string RunName = "run_name";

    /// <summary>The status (RUNNING, FINISHED...).</summary>
    public const string Status = "status";

    /// <summary>The artifact root URI.</summary>
    public const string ArtifactUri = "artifact_uri";

    /// <summary>The user id.</summary>
    public const string UserId = "user_id";

    /// <summary>The start time in ms (alias <c>created</c>, <c>Created</c>).</summary>
    public const string StartTime = "start_time";

    /// <summary>The end time in ms.</summary>
    public const string EndTime = "end_time";

    /// <summary>Every key a filter accepts, aliases included, as MLflow lists them.</summary>
    public static IReadOnlyList<string> SearchableKeys { get; } =
        [RunId, RunName, Status, ArtifactUri, UserId, StartTime, EndTime, "created", "Created"];

    /// <summary>True for start_time and end_time.</summary>
    public static bool IsNumeric(string key) => key is StartTime or EndTime;

    /// <summary>The canonical name of an attribute key or alias, or null if it is not one.</summary>
    public static string? Canonical(string key) => key switch
    {
        "created" or "Created" => StartTime,
        RunId or RunName or Status or ArtifactUri or UserId or StartTime or EndTime => key,
        _ => null,
    };
}
