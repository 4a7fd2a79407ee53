namespace Mlops.Tracking.Search;

/// <summary>
/// Parses order_by keys like <c>metrics.accuracy DESC</c>, <c>params.lr</c>, <c>attributes.start_time ASC</c>
/// (a bare attribute name such as <c>start_time</c> is accepted too). ASC is the default.
/// </summary>
public static class OrderByParser
{
    /// <summary>Parses each key; null gives an empty list.</summary>
    /// <exception cref="MlflowException">A key is malformed (INVALID_PARAMETER_VALUE).</exception>
    public static IReadOnlyList<OrderByKey> Parse(IEnumerable<string>? orderBy)
    {
        if (orderBy is null)
        {
            return [];
        }

        var keys = new List<OrderByKey>();
        foreach (var clause in orderBy)
        {
            keys.Add(ParseOne(clause));
        }

        return keys;
    }

    /// <summary>Parses one key.</summary>
    public static OrderByKey ParseOne(string clause)
    {
        if (string.IsNullOrWhiteSpace(clause))
        {
            throw MlflowException.InvalidParameter("Invalid order_by clause ''. Could not be parsed.");
        }

        var tokens = SearchTokenizer.Tokenize(clause, "order_by clause");
        SearchIdentifier identifier;
        var first = tokens[0];
        if (first.Kind == SearchTokenKind.Word && RunAttributes.Canonical(first.Text) is { } bare)
        {
            identifier = new SearchIdentifier(SearchEntity.Attribute, bare);
        }
        else if (first.Kind is SearchTokenKind.Identifier)
        {
            identifier = SearchFilterParser.ToIdentifier(first, clause);
        }
        else
        {
            throw MlflowException.InvalidParameter($"Invalid order_by clause '{clause}'. Could not be parsed.");
        }

        var ascending = true;
        var next = 1;
        if (tokens[next].IsWord("ASC") || tokens[next].IsWord("DESC"))
        {
            ascending = tokens[next].IsWord("ASC");
            next++;
        }

        if (tokens[next].Kind != SearchTokenKind.End)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid ordering key in order_by clause '{clause}': unexpected '{tokens[next].Text}'. Expected ASC or DESC.");
        }

        return new OrderByKey(identifier, ascending);
    }
}
