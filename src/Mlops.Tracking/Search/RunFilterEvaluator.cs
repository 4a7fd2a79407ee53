using System.Text;
using System.Text.RegularExpressions;

namespace Mlops.Tracking.Search;

/// <summary>
/// Applies parsed filters and order_by keys to runs in memory, with the same semantics as the SQLite store's SQL:
/// metric comparisons use the latest value; a run without the key never matches a comparison (<c>!=</c> included);
/// NaN matches only <c>!=</c>; LIKE is case-sensitive, ILIKE is not; in order_by, missing values sort last and NaN
/// just before them whatever the direction, then start_time DESC and run_id break ties.
/// </summary>
public static class RunFilterEvaluator
{
    /// <summary>True if the run satisfies every clause.</summary>
    public static bool Matches(Run run, IReadOnlyList<SearchClause> clauses)
    {
        foreach (var clause in clauses)
        {
            if (!Matches(run, clause))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Sorts runs by the keys, then by start_time DESC and run_id ASC.</summary>
    public static List<Run> Sort(IEnumerable<Run> runs, IReadOnlyList<OrderByKey> orderBy)
    {
        var list = runs.ToList();
        list.Sort((a, b) => Compare(a, b, orderBy));
        return list;
    }

    /// <summary>Compares two runs by the order_by keys and the tie-breakers.</summary>
    public static int Compare(Run a, Run b, IReadOnlyList<OrderByKey> orderBy)
    {
        foreach (var key in orderBy)
        {
            var result = CompareKey(a, b, key);
            if (result != 0)
            {
                return result;
            }
        }

        var byStart = b.Info.StartTime.CompareTo(a.Info.StartTime);
        return byStart != 0 ? byStart : string.CompareOrdinal(a.Info.RunId, b.Info.RunId);
    }

    /// <summary>True if <paramref name="value"/> matches a LIKE pattern (<c>%</c> any run, <c>_</c> one character).</summary>
    public static bool Like(string value, string pattern, bool ignoreCase)
    {
        var regex = new StringBuilder("^");
        foreach (var c in pattern)
        {
            regex.Append(c switch
            {
                '%' => ".*",
                '_' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        }

        regex.Append('$');
        var options = RegexOptions.Singleline | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        return Regex.IsMatch(value, regex.ToString(), options);
    }

    private static bool Matches(Run run, SearchClause clause)
    {
        var identifier = clause.Identifier;
        switch (identifier.Entity)
        {
            case SearchEntity.Metric:
                var metric = run.Data.GetMetric(identifier.Key);
                return metric is { } value && CompareNumber(value, clause);
            case SearchEntity.Param:
                return MatchString(run.Data.Params.TryGetValue(identifier.Key, out var param) ? param : null, clause);
            case SearchEntity.Tag:
                return MatchString(run.Data.Tags.TryGetValue(identifier.Key, out var tag) ? tag : null, clause);
        }

        var info = run.Info;
        switch (identifier.Key)
        {
            case RunAttributes.StartTime:
                return CompareNumber(info.StartTime, clause);
            case RunAttributes.EndTime:
                return info.EndTime is { } end && CompareNumber(end, clause);
            case RunAttributes.RunId:
                return clause.Comparator switch
                {
                    SearchComparator.In => clause.Values!.Contains(info.RunId),
                    SearchComparator.NotIn => !clause.Values!.Contains(info.RunId),
                    _ => MatchString(info.RunId, clause),
                };
            case RunAttributes.RunName:
                return MatchString(info.RunName, clause);
            case RunAttributes.Status:
                return MatchString(info.Status.ToMlflow(), clause);
            case RunAttributes.ArtifactUri:
                return MatchString(info.ArtifactUri, clause);
            default:
                return MatchString(info.UserId, clause);
        }
    }

    private static bool CompareNumber(double value, SearchClause clause)
    {
        if (double.IsNaN(value))
        {
            return clause.Comparator == SearchComparator.NotEqual;
        }

        var target = clause.Number;
        return clause.Comparator switch
        {
            SearchComparator.Equal => value == target,
            SearchComparator.NotEqual => value != target,
            SearchComparator.Greater => value > target,
            SearchComparator.GreaterOrEqual => value >= target,
            SearchComparator.Less => value < target,
            _ => value <= target,
        };
    }

    private static bool MatchString(string? value, SearchClause clause) => clause.Comparator switch
    {
        SearchComparator.IsNull => value is null,
        SearchComparator.IsNotNull => value is not null,
        _ when value is null => false,
        SearchComparator.Equal => value == clause.Text,
        SearchComparator.NotEqual => value != clause.Text,
        SearchComparator.Like => Like(value, clause.Text!, ignoreCase: false),
        SearchComparator.ILike => Like(value, clause.Text!, ignoreCase: true),
        _ => false,
    };

    private static int CompareKey(Run a, Run b, OrderByKey key)
    {
        var identifier = key.Identifier;
        if (identifier.Entity == SearchEntity.Metric || identifier.IsNumericAttribute)
        {
            var x = NumberOf(a, identifier);
            var y = NumberOf(b, identifier);
            var rankX = Rank(x);
            var rankY = Rank(y);
            if (rankX != rankY || rankX != 0)
            {
                return rankX.CompareTo(rankY);
            }

            var result = x!.Value.CompareTo(y!.Value);
            return key.Ascending ? result : -result;
        }

        var s = TextOf(a, identifier);
        var t = TextOf(b, identifier);
        if (s is null || t is null)
        {
            return (s is null ? 1 : 0).CompareTo(t is null ? 1 : 0);
        }

        var order = string.CompareOrdinal(s, t);
        return key.Ascending ? order : -order;
    }

    // 0: a number, 1: NaN, 2: missing — NaN and missing sort last whatever the direction.
    private static int Rank(double? value) => value is null ? 2 : double.IsNaN(value.Value) ? 1 : 0;

    private static double? NumberOf(Run run, SearchIdentifier identifier) => identifier.Entity == SearchEntity.Metric
        ? run.Data.GetMetric(identifier.Key)
        : identifier.Key == RunAttributes.StartTime ? run.Info.StartTime : run.Info.EndTime;

    private static string? TextOf(Run run, SearchIdentifier identifier) => identifier.Entity switch
    {
        SearchEntity.Param => run.Data.Params.TryGetValue(identifier.Key, out var p) ? p : null,
        SearchEntity.Tag => run.Data.Tags.TryGetValue(identifier.Key, out var t) ? t : null,
        _ => identifier.Key switch
        {
            RunAttributes.RunId => run.Info.RunId,
            RunAttributes.RunName => run.Info.RunName,
            RunAttributes.Status => run.Info.Status.ToMlflow(),
            RunAttributes.ArtifactUri => run.Info.ArtifactUri,
            _ => run.Info.UserId,
        },
    };
}
