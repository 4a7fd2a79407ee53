using System.Text;

namespace Mlops.Features.Csv;

/// <summary>Column names from a CSV header record, and the check that a header matches a schema.</summary>
internal static class CsvHeader
{
    /// <summary>
    /// The header's names made usable as Spark does: an empty name becomes <c>_c{i}</c>, and every
    /// occurrence of a repeated name gets its position appended (<c>a0</c>, <c>a3</c>).
    /// </summary>
    public static string[] Names(CsvTokenizer tokenizer)
    {
        var names = new string[tokenizer.FieldCount];
        for (var i = 0; i < names.Length; i++)
        {
            var field = tokenizer.Field(i);
            if (!System.Text.Unicode.Utf8.IsValid(field))
            {
                throw new DataFormatException(
                    $"the header's field {i + 1} is not valid UTF-8; the file must be UTF-8 (re-encode it, e.g. with iconv)",
                    tokenizer.Source,
                    tokenizer.Line);
            }

            var text = Encoding.UTF8.GetString(field);
            names[i] = text.Length == 0 ? $"_c{i}" : text;
        }

        var repeated = names.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            if (repeated.Contains(names[i]))
            {
                names[i] += i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return names;
    }

    /// <summary>Names for a file without a header: <c>_c0</c>, <c>_c1</c>, ...</summary>
    public static string[] DefaultNames(int count) => Enumerable.Range(0, count).Select(i => $"_c{i}").ToArray();

    /// <summary>Reads the header record of a file and checks it names <paramref name="expected"/>, in order.</summary>
    /// <returns>False when the file is empty.</returns>
    /// <exception cref="DataFormatException">The header is malformed or names other columns.</exception>
    public static bool ReadAndCheck(CsvTokenizer tokenizer, IReadOnlyList<string> expected, string expectedFrom)
    {
        if (!tokenizer.ReadRecord())
        {
            return false;
        }

        var names = Read(tokenizer);
        Check(tokenizer, names, expected, expectedFrom);
        return true;
    }

    /// <summary>The names of the header record the tokenizer is on.</summary>
    /// <exception cref="DataFormatException">The header record is malformed.</exception>
    public static string[] Read(CsvTokenizer tokenizer)
    {
        if (tokenizer.Error is { } error)
        {
            throw new DataFormatException("malformed header: " + error, tokenizer.Source, tokenizer.Line);
        }

        return Names(tokenizer);
    }

    /// <summary>Checks that header names equal <paramref name="expected"/>, by position.</summary>
    public static void Check(CsvTokenizer tokenizer, string[] names, IReadOnlyList<string> expected, string expectedFrom)
    {
        for (var i = 0; i < Math.Min(names.Length, expected.Count); i++)
        {
            if (!string.Equals(names[i], expected[i], StringComparison.Ordinal))
            {
                throw new DataFormatException(
                    $"the header names column {i + 1} '{names[i]}' but {expectedFrom} calls it '{expected[i]}'; the header must list {expectedFrom}'s columns in order ({string.Join(", ", expected)}).",
                    tokenizer.Source,
                    tokenizer.Line,
                    expected[i]);
            }
        }

        if (names.Length != expected.Count)
        {
            var column = names.Length < expected.Count ? expected[names.Length] : names[expected.Count];
            throw new DataFormatException(
                $"the header has {names.Length} columns but {expectedFrom} has {expected.Count} ({string.Join(", ", expected)}); "
                + (names.Length < expected.Count ? $"'{column}' is missing." : $"'{column}' is extra."),
                tokenizer.Source,
                tokenizer.Line,
                column);
        }
    }
}
