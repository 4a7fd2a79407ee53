namespace Mlops.Features;

/// <summary>How <see cref="Frame.Join(Frame, IReadOnlyList{string}, JoinType)"/> combines rows, with Spark's meanings.</summary>
public enum JoinType
{
    /// <summary>Rows whose keys match on both sides.</summary>
    Inner,

    /// <summary>Every left row; right columns are null where no right row matches.</summary>
    Left,

    /// <summary>Every right row; left columns are null where no left row matches.</summary>
    Right,

    /// <summary>Every row of both sides, matched where the keys are equal and padded with nulls elsewhere.</summary>
    Full,

    /// <summary>Left rows that have at least one match on the right, each once, with the left's columns only.</summary>
    LeftSemi,

    /// <summary>Left rows that have no match on the right (null keys included), with the left's columns only.</summary>
    LeftAnti,
}

/// <summary>Converts Spark's join type names to <see cref="JoinType"/>.</summary>
public static class JoinTypes
{
    private static readonly Dictionary<string, JoinType> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["inner"] = JoinType.Inner,
        ["left"] = JoinType.Left,
        ["leftouter"] = JoinType.Left,
        ["left_outer"] = JoinType.Left,
        ["right"] = JoinType.Right,
        ["rightouter"] = JoinType.Right,
        ["right_outer"] = JoinType.Right,
        ["full"] = JoinType.Full,
        ["outer"] = JoinType.Full,
        ["fullouter"] = JoinType.Full,
        ["full_outer"] = JoinType.Full,
        ["semi"] = JoinType.LeftSemi,
        ["leftsemi"] = JoinType.LeftSemi,
        ["left_semi"] = JoinType.LeftSemi,
        ["anti"] = JoinType.LeftAnti,
        ["leftanti"] = JoinType.LeftAnti,
        ["left_anti"] = JoinType.LeftAnti,
    };

    /// <summary>
    /// Parses a Spark join type name, ignoring case: <c>inner</c>; <c>left</c>, <c>leftouter</c>, <c>left_outer</c>;
    /// <c>right</c>, <c>rightouter</c>, <c>right_outer</c>; <c>full</c>, <c>outer</c>, <c>fullouter</c>, <c>full_outer</c>;
    /// <c>semi</c>, <c>leftsemi</c>, <c>left_semi</c>; <c>anti</c>, <c>leftanti</c>, <c>left_anti</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is unknown, or is <c>cross</c>, which joins on keys cannot express.</exception>
    public static JoinType Parse(string how)
    {
        ArgumentNullException.ThrowIfNull(how);
        var name = how.Trim();
        if (Names.TryGetValue(name, out var type))
        {
            return type;
        }

        if (name.Equals("cross", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                "Join type 'cross' is not supported: a join on key columns matches rows by key, and cross joins (every pair of rows) are not offered. Use one of: inner, left, right, full, left_semi, left_anti.",
                nameof(how));
        }

        throw new ArgumentException(
            $"Unknown join type '{how}'. Supported: {string.Join(", ", Names.Keys)}.",
            nameof(how));
    }
}
