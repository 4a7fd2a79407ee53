namespace Mlops.Tracking.Search;

/// <summary>
/// Parses MLflow's run-search filter grammar: comparisons joined by AND, each
/// <c>&lt;entity&gt;.&lt;key&gt; &lt;comparator&gt; &lt;value&gt;</c>. Metrics and numeric attributes take numbers and
/// <c>= != &gt; &gt;= &lt; &lt;=</c>; params, tags and string attributes take quoted strings and <c>= != LIKE ILIKE</c>;
/// params and tags also <c>IS NULL</c> / <c>IS NOT NULL</c>; <c>attributes.run_id</c> also <c>IN</c> / <c>NOT IN</c>.
/// Errors are <see cref="MlflowException"/>s with INVALID_PARAMETER_VALUE that name the bad part.
/// </summary>
public static class SearchFilterParser
{
    private static readonly string[] s_numericComparators = ["=", "!=", ">", ">=", "<", "<="];
    private static readonly string[] s_stringComparators = ["=", "!=", "LIKE", "ILIKE"];
    private static readonly string[] s_runIdComparators = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"];

    /// <summary>Parses a filter; null or blank gives no clauses.</summary>
    /// <exception cref="MlflowException">The filter is malformed (INVALID_PARAMETER_VALUE).</exception>
    public static IReadOnlyList<SearchClause> Parse(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return [];
        }

        var tokens = SearchTokenizer.Tokenize(filter, "filter");
        var clauses = new List<SearchClause>();
        var i = 0;
        while (true)
        {
            clauses.Add(ParseClause(filter, tokens, ref i));
            var next = tokens[i];
            if (next.Kind == SearchTokenKind.End)
            {
                return clauses;
            }

            if (next.IsWord("OR"))
            {
                throw MlflowException.InvalidParameter(
                    $"Invalid clause(s) in filter string: 'OR' at position {next.Position}. Only AND-ed expressions are supported in '{filter}'.");
            }

            if (!next.IsWord("AND"))
            {
                throw MlflowException.InvalidParameter(
                    $"Invalid clause(s) in filter string: unexpected '{next.Text}' at position {next.Position} in '{filter}'. Clauses must be joined by AND.");
            }

            i++;
        }
    }

    /// <summary>Maps an entity prefix (or alias) to its entity, or throws naming the bad prefix.</summary>
    internal static SearchEntity ParseEntity(string prefix, string source) => prefix switch
    {
        "metric" or "metrics" => SearchEntity.Metric,
        "param" or "params" or "parameter" or "parameters" => SearchEntity.Param,
        "tag" or "tags" => SearchEntity.Tag,
        "attribute" or "attributes" or "attr" or "run" => SearchEntity.Attribute,
        _ => throw MlflowException.InvalidParameter(
            $"Invalid entity type '{prefix}' in '{source}'. Valid values are ['metric', 'parameter', 'tag', 'attribute'] and their aliases (metrics, params, tags, attributes, attr, run)."),
    };

    internal static SearchIdentifier ToIdentifier(SearchToken token, string source)
    {
        if (token.Kind == SearchTokenKind.Word)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid identifier '{token.Text}' in '{source}'. Expected an entity type prefix such as metrics., params., tags. or attributes.");
        }

        if (token.Kind != SearchTokenKind.Identifier)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid filter '{source}'. Expected an identifier at position {token.Position} but found '{token.Text}'.");
        }

        var entity = ParseEntity(token.Prefix!, source);
        if (entity != SearchEntity.Attribute)
        {
            return new SearchIdentifier(entity, token.Text);
        }

        var canonical = RunAttributes.Canonical(token.Text) ?? throw MlflowException.InvalidParameter(
            $"Invalid attribute key '{token.Text}' specified. Valid keys are '{string.Join("', '", RunAttributes.SearchableKeys)}'.");
        return new SearchIdentifier(SearchEntity.Attribute, canonical);
    }

    private static SearchClause ParseClause(string filter, List<SearchToken> tokens, ref int i)
    {
        var identifier = ToIdentifier(tokens[i], filter);
        i++;
        var comparatorToken = tokens[i];
        var comparator = ReadComparator(filter, tokens, ref i);
        CheckComparator(identifier, comparator, comparatorToken, filter);

        switch (comparator)
        {
            case "IS NULL":
                return new SearchClause(identifier, SearchComparator.IsNull);
            case "IS NOT NULL":
                return new SearchClause(identifier, SearchComparator.IsNotNull);
            case "IN" or "NOT IN":
                var values = ReadList(filter, tokens, ref i);
                return new SearchClause(identifier, comparator == "IN" ? SearchComparator.In : SearchComparator.NotIn, Values: values);
        }

        var value = tokens[i];
        i++;
        var kind = comparator switch
        {
            "=" => SearchComparator.Equal,
            "!=" => SearchComparator.NotEqual,
            ">" => SearchComparator.Greater,
            ">=" => SearchComparator.GreaterOrEqual,
            "<" => SearchComparator.Less,
            "<=" => SearchComparator.LessOrEqual,
            "LIKE" => SearchComparator.Like,
            _ => SearchComparator.ILike,
        };

        if (identifier.Entity == SearchEntity.Metric || identifier.IsNumericAttribute)
        {
            if (value.Kind != SearchTokenKind.Number)
            {
                throw MlflowException.InvalidParameter(identifier.Entity == SearchEntity.Metric
                    ? $"Expected numeric value type for metric. Found {Describe(value)} for '{identifier}'."
                    : $"Expected numeric value type for numeric attribute: {identifier.Key}. Found {Describe(value)}.");
            }

            return new SearchClause(identifier, kind, Number: SearchTokenizer.ParseNumber(value.Text));
        }

        if (value.Kind != SearchTokenKind.String)
        {
            var entityName = identifier.Entity switch
            {
                SearchEntity.Param => "Parameter",
                SearchEntity.Tag => "Tag",
                _ => "Attribute",
            };
            throw MlflowException.InvalidParameter(
                $"{entityName} value is either not quoted or unidentified quote types used for string value {Describe(value)} of '{identifier}'. Use either single or double quotes.");
        }

        return new SearchClause(identifier, kind, Text: value.Text);
    }

    private static string ReadComparator(string filter, List<SearchToken> tokens, ref int i)
    {
        var token = tokens[i];
        if (token.Kind == SearchTokenKind.Comparator)
        {
            i++;
            return token.Text;
        }

        if (token.IsWord("LIKE") || token.IsWord("ILIKE") || token.IsWord("IN"))
        {
            i++;
            return token.Text.ToUpperInvariant();
        }

        if (token.IsWord("NOT") && tokens[i + 1].IsWord("IN"))
        {
            i += 2;
            return "NOT IN";
        }

        if (token.IsWord("IS"))
        {
            if (tokens[i + 1].IsWord("NULL"))
            {
                i += 2;
                return "IS NULL";
            }

            if (tokens[i + 1].IsWord("NOT") && tokens[i + 2].IsWord("NULL"))
            {
                i += 3;
                return "IS NOT NULL";
            }
        }

        throw MlflowException.InvalidParameter(token.Kind == SearchTokenKind.End
            ? $"Invalid filter '{filter}'. Could not be parsed: a comparator is missing at the end."
            : $"Invalid comparator '{token.Text}' at position {token.Position} in filter '{filter}'.");
    }

    private static void CheckComparator(SearchIdentifier identifier, string comparator, SearchToken token, string filter)
    {
        if (comparator is "IN" or "NOT IN" && !(identifier.Entity == SearchEntity.Attribute && identifier.Key == RunAttributes.RunId))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid comparator '{comparator}' for '{identifier}' in filter '{filter}'. Only the 'run_id' attribute supports comparison with a list of quoted string values.");
        }

        if (comparator is "IS NULL" or "IS NOT NULL")
        {
            if (identifier.Entity is SearchEntity.Param or SearchEntity.Tag)
            {
                return;
            }

            throw MlflowException.InvalidParameter(
                $"Invalid comparator '{comparator}' for '{identifier}' in filter '{filter}'. IS NULL and IS NOT NULL apply to params and tags only.");
        }

        var allowed = identifier.Entity switch
        {
            SearchEntity.Metric => s_numericComparators,
            SearchEntity.Param or SearchEntity.Tag => s_stringComparators,
            _ when identifier.IsNumericAttribute => s_numericComparators,
            _ when identifier.Key == RunAttributes.RunId => s_runIdComparators,
            _ => s_stringComparators,
        };

        if (!allowed.Contains(comparator))
        {
            var kind = identifier.Entity switch
            {
                SearchEntity.Metric => "metric",
                SearchEntity.Param => "param",
                SearchEntity.Tag => "tag",
                _ when identifier.IsNumericAttribute => "numeric attribute",
                _ => "string attribute",
            };
            throw MlflowException.InvalidParameter(
                $"Invalid comparator '{comparator}' not one of '{string.Join("', '", allowed)}' for {kind} '{identifier}' at position {token.Position} in filter '{filter}'.");
        }
    }

    private static List<string> ReadList(string filter, List<SearchToken> tokens, ref int i)
    {
        if (tokens[i].Kind != SearchTokenKind.OpenParen)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid filter '{filter}'. Expected a parenthesised list of quoted run ids at position {tokens[i].Position}.");
        }

        i++;
        var values = new List<string>();
        while (true)
        {
            var token = tokens[i];
            if (token.Kind != SearchTokenKind.String)
            {
                throw MlflowException.InvalidParameter(
                    $"While parsing a list in the query, expected string value, punctuation, or whitespace, but got {Describe(token)} at position {token.Position} in '{filter}'.");
            }

            values.Add(token.Text);
            i++;
            if (tokens[i].Kind == SearchTokenKind.Comma)
            {
                i++;
                continue;
            }

            if (tokens[i].Kind == SearchTokenKind.CloseParen)
            {
                i++;
                return values;
            }

            throw MlflowException.InvalidParameter(
                $"Invalid filter '{filter}'. Expected ',' or ')' in the list at position {tokens[i].Position}.");
        }
    }

    private static string Describe(SearchToken token) => token.Kind switch
    {
        SearchTokenKind.End => "nothing (the filter ends)",
        SearchTokenKind.String => $"'{token.Text}'",
        SearchTokenKind.Identifier => $"identifier '{token.Prefix}.{token.Text}'",
        _ => token.Text,
    };
}
