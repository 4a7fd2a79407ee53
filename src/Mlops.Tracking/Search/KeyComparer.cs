namespace Mlops.Tracking.Search;

/// <summary>Compares sort keys: strings ordinally (as SQLite's BINARY collation and MLflow's SQL stores do), others by their own order.</summary>
internal sealed class KeyComparer : IComparer<IComparable>
{
    public static readonly KeyComparer Instance = new();

    public int Compare(IComparable? x, IComparable? y) => (x, y) switch
    {
        (string a, string b) => string.CompareOrdinal(a, b),
        (null, null) => 0,
        (null, _) => -1,
        (_, null) => 1,
        _ => x.CompareTo(y),
    };
}
