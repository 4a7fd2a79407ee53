namespace Mlops.Features;

/// <summary>
/// Options for <see cref="Frame.ReadCsv(string, CsvReadOptions?)"/>. Defaults follow Spark's CSV reader
/// (no header, comma, double quote, RFC 4180 doubled-quote escapes, every column a string unless a
/// schema is given or <see cref="InferSchema"/> is set) except that quoted fields may always span lines.
/// </summary>
/// <remarks>
/// <para>Parsing follows RFC 4180: a field that starts with <see cref="Quote"/> ends at the next unescaped
/// quote and may contain delimiters, escaped quotes and line breaks. A quote inside an unquoted field is an
/// ordinary character. Records end at LF, CRLF or a lone CR; blank lines are skipped.</para>
/// <para>Nulls: an unquoted field equal to <see cref="NullValue"/> or one of <see cref="NullValues"/> is null;
/// so is a quoted one, except the quoted empty string <c>""</c>, which is an empty string in string
/// columns (how writers tell an empty string from a null). In other columns an empty field is null.</para>
/// </remarks>
public sealed class CsvReadOptions : TextReadOptions
{
    /// <summary>Whether the first record of each file holds the column names; false by default, as in Spark.</summary>
    /// <remarks>With an explicit <see cref="TextReadOptions.Schema"/> the header's names must equal the schema's, by position.</remarks>
    public bool Header { get; set; }

    /// <summary>The field separator, a single ASCII character; ',' by default.</summary>
    public char Delimiter { get; set; } = ',';

    /// <summary>The quote character, a single ASCII character; '"' by default.</summary>
    public char Quote { get; set; } = '"';

    /// <summary>
    /// The character that escapes a quote inside a quoted field. The default, the quote itself, means
    /// RFC 4180's doubled quotes (<c>"a ""b"""</c>). Set it to '\\' for backslash escapes, where
    /// <c>\"</c> stands for a quote and <c>\\</c> for a backslash (any other backslash is kept as is).
    /// </summary>
    public char Escape { get; set; } = '"';

    /// <summary>If set, records starting with this character are skipped as comments; none by default.</summary>
    public char? Comment { get; set; }

    /// <summary>The text that stands for null; the empty string by default, as in Spark.</summary>
    public string NullValue { get; set; } = string.Empty;

    /// <summary>More texts that stand for null (e.g. "NA", "null"), in addition to <see cref="NullValue"/>.</summary>
    public IList<string> NullValues { get; set; } = new List<string>();

    /// <summary>The text of a NaN in float and double columns; "NaN" by default ("NaN" is always accepted).</summary>
    public string NanValue { get; set; } = "NaN";

    /// <summary>The text of positive infinity in float and double columns; "Inf" by default ("Infinity" is always accepted).</summary>
    public string PositiveInf { get; set; } = "Inf";

    /// <summary>The text of negative infinity in float and double columns; "-Inf" by default ("-Infinity" is always accepted).</summary>
    public string NegativeInf { get; set; } = "-Inf";

    /// <summary>
    /// Whether to infer column types from a sample of <see cref="TextReadOptions.SamplingRows"/> records per
    /// file when no schema is given; false by default (every column a string), as in Spark. Inference tries,
    /// in order, int, bigint, double, boolean, date and timestamp, and widens across records and files
    /// (int to bigint to double, date to timestamp, anything else to string). Empty and null fields do not
    /// vote; a column with no values is a string. Every inferred column is nullable.
    /// </summary>
    public bool InferSchema { get; set; }

    /// <summary>Whether to drop spaces and tabs before unquoted fields (and before a field's opening quote); false by default.</summary>
    public bool IgnoreLeadingWhiteSpace { get; set; }

    /// <summary>Whether to drop spaces and tabs after unquoted fields (and after a field's closing quote); false by default.</summary>
    public bool IgnoreTrailingWhiteSpace { get; set; }

    /// <inheritdoc/>
    private protected override void Validate()
    {
        base.Validate();
        RequireAscii(Delimiter, nameof(Delimiter));
        RequireAscii(Quote, nameof(Quote));
        RequireAscii(Escape, nameof(Escape));
        if (Comment is { } comment)
        {
            RequireAscii(comment, nameof(Comment));
        }

        if (Delimiter == Quote || Delimiter is '\r' or '\n' || Quote is '\r' or '\n' || Escape is '\r' or '\n')
        {
            throw new ArgumentException($"The delimiter ('{Delimiter}'), quote ('{Quote}') and escape ('{Escape}') must differ from each other and from line breaks.");
        }

        if (Escape == Delimiter)
        {
            throw new ArgumentException($"The escape character must differ from the delimiter ('{Delimiter}').", nameof(Escape));
        }

        ArgumentNullException.ThrowIfNull(NullValue, nameof(NullValue));
        ArgumentNullException.ThrowIfNull(NullValues, nameof(NullValues));
        ArgumentNullException.ThrowIfNull(NanValue, nameof(NanValue));
        ArgumentNullException.ThrowIfNull(PositiveInf, nameof(PositiveInf));
        ArgumentNullException.ThrowIfNull(NegativeInf, nameof(NegativeInf));
    }

    private static void RequireAscii(char value, string name)
    {
        if (value == '\0' || value > 0x7F)
        {
            throw new ArgumentException($"{name} must be a single ASCII character; '{value}' is not.", name);
        }
    }
}
