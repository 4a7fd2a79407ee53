using Mlops.Tracking.Search;

namespace Mlops.Tracking.Registry;

/// <summary>One comparison of a registry search filter.</summary>
internal sealed record RegistryClause(string Field, string? TagKey, SearchComparator Comparator, string? Text, IReadOnlyList<string>? Values);

/// <summary>
/// MLflow's registry search filters: registered models by <c>name</c> and <c>tags.key</c>; model versions also by
/// <c>run_id</c> (with IN) and <c>source_path</c>. Comparators =, !=, LIKE, ILIKE; clauses joined by AND.
/// </summary>
internal static class RegistryFilter
{
    public static List<RegistryClause> Parse(string? filter, bool forVersions)
    {
        var clauses = new List<RegistryClause>();
        if (string.IsNullOrWhiteSpace(filter))
        {
            return clauses;
        }

        var tokens = SearchTokenizer.Tokenize(filter, "filter");
        var i = 0;
        while (true)
        {
            var left = tokens[i++];
            string field;
            string? tagKey = null;
            if (left.Kind == SearchTokenKind.Identifier && left.Prefix is "tags" or "tag")
            {
                field = "tag";
                tagKey = left.Text;
            }
            else if (left.Kind == SearchTokenKind.Word && (left.Text == "name" || (forVersions && left.Text is "run_id" or "source_path")))
            {
                field = left.Text;
            }
            else
            {
                var valid = forVersions ? "'name', 'run_id', 'source_path', 'tags.<key>'" : "'name', 'tags.<key>'";
                throw MlflowException.InvalidParameter($"Invalid attribute key '{left.Text}' in filter '{filter}'. Valid keys are {valid}.");
            }

            var op = tokens[i++];
            SearchComparator comparator;
            if (op.Kind == SearchTokenKind.Comparator && op.Text is "=" or "!=")
            {
                comparator = op.Text == "=" ? SearchComparator.Equal : SearchComparator.NotEqual;
            }
            else if (op.IsWord("LIKE") || op.IsWord("ILIKE"))
            {
                comparator = op.IsWord("LIKE") ? SearchComparator.Like : SearchComparator.ILike;
            }
            else if (op.IsWord("IN") && field == "run_id")
            {
                comparator = SearchComparator.In;
            }
            else
            {
                throw MlflowException.InvalidParameter($"Invalid comparator '{op.Text}' for '{left.Text}' in filter '{filter}'. Valid comparators are '=', '!=', 'LIKE', 'ILIKE'.");
            }

            if (comparator == SearchComparator.In)
            {
                var values = new List<string>();
                if (tokens[i++].Kind != SearchTokenKind.OpenParen)
                {
                    throw MlflowException.InvalidParameter($"Invalid filter '{filter}'. Expected a parenthesised list after IN.");
                }

                while (tokens[i].Kind == SearchTokenKind.String)
                {
                    values.Add(tokens[i++].Text);
                    if (tokens[i].Kind == SearchTokenKind.Comma)
                    {
                        i++;
                    }
                }

                if (tokens[i++].Kind != SearchTokenKind.CloseParen)
                {
                    throw MlflowException.InvalidParameter($"Invalid filter '{filter}'. The list after IN must hold quoted strings and end with ')'.");
                }

                clauses.Add(new RegistryClause(field, tagKey, comparator, null, values));
            }
            else
            {
                var value = tokens[i++];
                if (value.Kind != SearchTokenKind.String)
                {
                    throw MlflowException.InvalidParameter($"Value '{value.Text}' for '{left.Text}' in filter '{filter}' must be a quoted string.");
                }

                clauses.Add(new RegistryClause(field, tagKey, comparator, value.Text, null));
            }

            if (tokens[i].Kind == SearchTokenKind.End)
            {
                return clauses;
            }

            if (!tokens[i].IsWord("AND"))
            {
                throw MlflowException.InvalidParameter($"Invalid clause(s) in filter string: unexpected '{tokens[i].Text}' in '{filter}'. Clauses must be joined by AND.");
            }

            i++;
        }
    }

    public static bool Matches(RegistryClause clause, string name, string? runId, string? source, IReadOnlyDictionary<string, string> tags)
    {
        var value = clause.Field switch
        {
            "name" => name,
            "run_id" => runId,
            "source_path" => source,
            _ => tags.TryGetValue(clause.TagKey!, out var tag) ? tag : null,
        };
        if (value is null)
        {
            return false;
        }

        return clause.Comparator switch
        {
            SearchComparator.Equal => value == clause.Text,
            SearchComparator.NotEqual => value != clause.Text,
            SearchComparator.Like => RunFilterEvaluator.Like(value, clause.Text!, ignoreCase: false),
            SearchComparator.ILike => RunFilterEvaluator.Like(value, clause.Text!, ignoreCase: true),
            _ => clause.Values!.Contains(value),
        };
    }

    public static IEnumerable<T> Order<T>(IEnumerable<T> items, IReadOnlyList<string>? orderBy, Func<T, string> name, Func<T, long> created, Func<T, long> updated, Func<T, long> version)
    {
        IOrderedEnumerable<T>? ordered = null;
        foreach (var clause in orderBy is { Count: > 0 } ? orderBy : ["name ASC"])
        {
            var parts = clause.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var descending = parts.Length > 1 && parts[1].Equals("DESC", StringComparison.OrdinalIgnoreCase);
            if (parts.Length is 0 or > 2 || (parts.Length == 2 && !descending && !parts[1].Equals("ASC", StringComparison.OrdinalIgnoreCase)))
            {
                throw MlflowException.InvalidParameter($"Invalid order_by clause '{clause}'. Could not be parsed.");
            }

            Func<T, IComparable> key = parts[0] switch
            {
                "name" => x => name(x),
                "creation_timestamp" or "timestamp" => x => created(x),
                "last_updated_timestamp" => x => updated(x),
                "version_number" => x => version(x),
                _ => throw MlflowException.InvalidParameter(
                    $"Invalid order by key '{parts[0]}' specified. Valid keys are 'name', 'creation_timestamp', 'last_updated_timestamp', 'version_number'."),
            };
            ordered = ordered is null
                ? descending ? items.OrderByDescending(key, KeyComparer.Instance) : items.OrderBy(key, KeyComparer.Instance)
                : descending ? ordered.ThenByDescending(key, KeyComparer.Instance) : ordered.ThenBy(key, KeyComparer.Instance);
        }

        return ordered!;
    }
}
