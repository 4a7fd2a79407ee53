using System.Text;
using Mlops.Features.Text;

namespace Mlops.Features.Csv;

/// <summary>An immutable copy of <see cref="CsvReadOptions"/> in the form the parser uses (bytes, not strings).</summary>
internal sealed class CsvSettings : TextSettings
{
    public CsvSettings(CsvReadOptions options)
        : base(options, new TextValueParser(new TemporalParser(options.DateFormat, options.TimestampFormat), options.NanValue, options.PositiveInf, options.NegativeInf))
    {
        Header = options.Header;
        Delimiter = (byte)options.Delimiter;
        Quote = (byte)options.Quote;
        Escape = (byte)options.Escape;
        Comment = options.Comment is { } c ? (byte)c : -1;
        TrimLeading = options.IgnoreLeadingWhiteSpace;
        TrimTrailing = options.IgnoreTrailingWhiteSpace;
        var nulls = options.NullValues.Prepend(options.NullValue).Distinct(StringComparer.Ordinal).ToList();
        EmptyIsNull = nulls.Contains(string.Empty);
        NullTokens = nulls.Where(n => n.Length > 0).Select(Encoding.UTF8.GetBytes).ToArray();
        InferSchema = options.InferSchema;
    }

    public bool Header { get; }

    public byte Delimiter { get; }

    public byte Quote { get; }

    public byte Escape { get; }

    /// <summary>The comment character, or -1 for none.</summary>
    public int Comment { get; }

    public bool TrimLeading { get; }

    public bool TrimTrailing { get; }

    /// <summary>Whether an unquoted empty field is null (the empty string is one of the null texts).</summary>
    public bool EmptyIsNull { get; }

    /// <summary>The non-empty null texts.</summary>
    public byte[][] NullTokens { get; }

    public bool InferSchema { get; }

    /// <summary>Whether a non-empty field's text is one of the null texts.</summary>
    public bool IsNullToken(ReadOnlySpan<byte> field)
    {
        foreach (var token in NullTokens)
        {
            if (field.SequenceEqual(token))
            {
                return true;
            }
        }

        return false;
    }
}
