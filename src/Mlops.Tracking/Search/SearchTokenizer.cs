using System.Globalization;
using System.Text;

namespace Mlops.Tracking.Search;

/// <summary>Splits a filter or order_by string into tokens; a character it cannot place is a parse error naming it.</summary>
internal static class SearchTokenizer
{
    public static List<SearchToken> Tokenize(string text, string what)
    {
        var tokens = new List<SearchToken>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            switch (c)
            {
                case '(':
                    tokens.Add(new(SearchTokenKind.OpenParen, "(", start));
                    i++;
                    continue;
                case ')':
                    tokens.Add(new(SearchTokenKind.CloseParen, ")", start));
                    i++;
                    continue;
                case ',':
                    tokens.Add(new(SearchTokenKind.Comma, ",", start));
                    i++;
                    continue;
                case '\'' or '"':
                    tokens.Add(new(SearchTokenKind.String, ReadQuoted(text, ref i, what), start));
                    continue;
                case '=':
                    tokens.Add(new(SearchTokenKind.Comparator, "=", start));
                    i++;
                    continue;
                case '!' or '<' or '>':
                    var op = i + 1 < text.Length && text[i + 1] == '=' ? text.Substring(i, 2) : c.ToString();
                    if (op == "!")
                    {
                        throw MlflowException.InvalidParameter($"Invalid {what} '{text}'. Could not be parsed: unexpected '!' at position {start}.");
                    }

                    tokens.Add(new(SearchTokenKind.Comparator, op, start));
                    i += op.Length;
                    continue;
            }

            if (char.IsAsciiDigit(c) || ((c is '-' or '+' or '.') && i + 1 < text.Length && (char.IsAsciiDigit(text[i + 1]) || text[i + 1] == '.')))
            {
                i++;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] is '.' or 'e' or 'E' || (text[i] is '-' or '+' && text[i - 1] is 'e' or 'E')))
                {
                    i++;
                }

                tokens.Add(new(SearchTokenKind.Number, text[start..i], start));
                continue;
            }

            if (char.IsLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                var word = text[start..i];
                if (i < text.Length && text[i] == '.')
                {
                    i++;
                    var key = ReadKey(text, ref i, what, start);
                    tokens.Add(new(SearchTokenKind.Identifier, key, start, word));
                }
                else
                {
                    tokens.Add(new(SearchTokenKind.Word, word, start));
                }

                continue;
            }

            if (c == '`')
            {
                // `metrics.my metric` style: the whole identifier in backticks.
                var quoted = ReadQuoted(text, ref i, what);
                var dot = quoted.IndexOf('.');
                if (dot <= 0)
                {
                    throw MlflowException.InvalidParameter($"Invalid identifier '{quoted}' in {what} '{text}'. Expected an entity type prefix such as metrics., params., tags. or attributes.");
                }

                tokens.Add(new(SearchTokenKind.Identifier, quoted[(dot + 1)..], start, quoted[..dot]));
                continue;
            }

            throw MlflowException.InvalidParameter($"Invalid {what} '{text}'. Could not be parsed: unexpected '{c}' at position {start}.");
        }

        tokens.Add(new(SearchTokenKind.End, "", text.Length));
        if (what == "filter")
        {
            CheckFilterLimits(tokens);
        }

        return tokens;
    }

    /// <summary>The most AND-ed comparisons a filter may hold (SQLite's expression depth is 1,000).</summary>
    public const int MaxFilterClauses = 500;

    /// <summary>The most values a filter may hold, IN lists included (SQLite binds at most 32,766 per statement).</summary>
    public const int MaxFilterValues = 10_000;

    /// <summary>The longest value in a filter, in characters (SQLite's LIKE patterns are at most 50,000 bytes).</summary>
    public const int MaxFilterValueLength = 10_000;

    // The same limits for every search, whether SQL (runs) or in memory (experiments, the registry), so a filter
    // over one is a 400 naming it everywhere rather than an error deep in SQLite or a slow scan.
    private static void CheckFilterLimits(List<SearchToken> tokens)
    {
        var clauses = 1 + tokens.Count(t => t.IsWord("AND"));
        if (clauses > MaxFilterClauses)
        {
            throw MlflowException.InvalidParameter(string.Create(CultureInfo.InvariantCulture,
                $"Invalid value for parameter 'filter': {clauses} clauses exceed the limit of {MaxFilterClauses}."));
        }

        var values = tokens.Count(t => t.Kind is SearchTokenKind.String or SearchTokenKind.Number);
        if (values > MaxFilterValues)
        {
            throw MlflowException.InvalidParameter(string.Create(CultureInfo.InvariantCulture,
                $"Invalid value for parameter 'filter': {values} values exceed the limit of {MaxFilterValues}."));
        }

        foreach (var token in tokens)
        {
            if (token.Kind == SearchTokenKind.String && token.Text.Length > MaxFilterValueLength)
            {
                throw MlflowException.InvalidParameter(string.Create(CultureInfo.InvariantCulture,
                    $"Invalid value for parameter 'filter': the value at position {token.Position} has length {token.Text.Length}, which exceeds the limit of {MaxFilterValueLength}."));
            }
        }
    }

    public static double ParseNumber(string text) =>
        double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string ReadKey(string text, ref int i, string what, int start)
    {
        if (i < text.Length && text[i] is '`' or '"')
        {
            return ReadQuoted(text, ref i, what);
        }

        var keyStart = i;
        while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('=' or '!' or '<' or '>' or '(' or ')' or ',' or '\'' or '"'))
        {
            i++;
        }

        if (i == keyStart)
        {
            throw MlflowException.InvalidParameter($"Invalid identifier '{text[start..i]}' in {what} '{text}': the key after the '.' is missing.");
        }

        return text[keyStart..i];
    }

    private static string ReadQuoted(string text, ref int i, string what)
    {
        var quote = text[i];
        var start = i;
        var builder = new StringBuilder();
        i++;
        while (i < text.Length)
        {
            if (text[i] == quote)
            {
                // A doubled quote stands for one quote character, as in SQL.
                if (i + 1 < text.Length && text[i + 1] == quote)
                {
                    builder.Append(quote);
                    i += 2;
                    continue;
                }

                i++;
                return builder.ToString();
            }

            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] == quote)
            {
                builder.Append(quote);
                i += 2;
                continue;
            }

            builder.Append(text[i]);
            i++;
        }

        throw MlflowException.InvalidParameter($"Invalid {what} '{text}'. Could not be parsed: the quote {quote} opened at position {start} is never closed.");
    }
}
