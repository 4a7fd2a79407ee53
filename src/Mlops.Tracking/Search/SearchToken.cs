namespace Mlops.Tracking.Search;

internal enum SearchTokenKind
{
    Identifier,
    String,
    Number,
    Comparator,
    Word,
    OpenParen,
    CloseParen,
    Comma,
    End,
}

/// <summary>One token of a filter or order_by string; <see cref="Position"/> is its offset, for messages.</summary>
internal readonly record struct SearchToken(SearchTokenKind Kind, string Text, int Position, string? Prefix = null)
{
    public bool IsWord(string word) => Kind == SearchTokenKind.Word && Text.Equals(word, StringComparison.OrdinalIgnoreCase);
}
