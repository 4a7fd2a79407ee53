using System.Text;

namespace Mlops.Features.FeatureStore.Online;

/// <summary>
/// The features one read asks for, with their UTF-8 names computed once per call, so decoding a stored row matches
/// names on bytes and materializes only what was asked for.
/// </summary>
internal sealed class FeatureSelection
{
    // Up to this many names a linear scan over byte spans beats hashing each stored name.
    private const int LinearLimit = 8;

    private readonly string[] _names;
    private readonly byte[][] _utf8;
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>>? _lookup;

    /// <summary>Validates and indexes <paramref name="features"/> (duplicates count once).</summary>
    /// <exception cref="ArgumentException">A feature name is null or empty (the message gives its position).</exception>
    public FeatureSelection(IReadOnlyList<string> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var names = new List<string>(features.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < features.Count; i++)
        {
            var name = features[i];
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException($"Feature {i} of the request is null or empty.", nameof(features));
            }

            if (seen.Add(name))
            {
                names.Add(name);
            }
        }

        _names = [.. names];
        _utf8 = [.. names.Select(Encoding.UTF8.GetBytes)];
        if (_names.Length > LinearLimit)
        {
            var map = _names.ToDictionary(n => n, n => n, StringComparer.Ordinal);
            _lookup = map.GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    /// <summary>How many distinct features are asked for.</summary>
    public int Count => _names.Length;

    /// <summary>The distinct names, in the order first asked.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The requested name whose UTF-8 bytes are <paramref name="utf8Name"/>, or null when it was not asked for.</summary>
    public string? Find(ReadOnlySpan<byte> utf8Name)
    {
        if (_lookup is not { } lookup)
        {
            for (var i = 0; i < _utf8.Length; i++)
            {
                if (utf8Name.SequenceEqual(_utf8[i]))
                {
                    return _names[i];
                }
            }

            return null;
        }

        // Stored names are short; a name too long for the stack buffer is rare enough to allocate.
        var maxChars = Encoding.UTF8.GetMaxCharCount(utf8Name.Length);
        Span<char> chars = maxChars <= 256 ? stackalloc char[maxChars] : new char[maxChars];
        var written = Encoding.UTF8.GetChars(utf8Name, chars);
        return lookup.TryGetValue(chars[..written], out var found) ? found : null;
    }
}
