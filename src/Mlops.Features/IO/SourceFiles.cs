using System.Text.RegularExpressions;
using Mlops.Storage;

namespace Mlops.Features.IO;

/// <summary>
/// Expands what a reader is given — one file, a folder of part files, or a glob — into the files to read,
/// on any <see cref="BlobStore"/>. Hidden and bookkeeping files (names starting with '_' or '.', such as
/// <c>_SUCCESS</c> or a writer's <c>_temporary</c> folder) are skipped, as Spark and Hadoop do.
/// A location holding <c>*</c>, <c>?</c> or <c>[</c> that names an existing file is that file, so
/// <c>data[1].csv</c> reads <c>data[1].csv</c>; otherwise it is a glob. As in Hadoop's glob syntax, a
/// backslash escapes the glob character after it (<c>run\[7\]/part-*.csv</c> matches in the folder
/// <c>run[7]</c>); a backslash before any other character is kept as it is.
/// Shared with Mlops.Training's Parquet dataset (InternalsVisibleTo).
/// </summary>
internal static class SourceFiles
{
    /// <summary>Lists the files a location names, ordered by path.</summary>
    /// <param name="location">A file path or URL, a folder, or a glob whose last segments may contain <c>*</c>, <c>?</c>, <c>[...]</c> or <c>**</c>; a backslash escapes a glob character.</param>
    /// <param name="resolver">Resolves the location to a store; <see cref="StorageResolver.Default"/> if null.</param>
    /// <param name="extension">If given (e.g. ".parquet"), a folder listing keeps only files with this extension.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <exception cref="BlobNotFoundException">Nothing exists at the location, or the glob or folder matches no file.</exception>
    public static IReadOnlyList<StorageLocation> Expand(string location, StorageResolver? resolver = null, string? extension = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        resolver ??= StorageResolver.Default;
        var wildcard = FirstWildcard(location);
        if (wildcard >= 0)
        {
            // An existing file whose name holds glob characters is read as itself.
            var literal = resolver.Resolve(location);
            if (literal.Path.Length > 0 && literal.Store.Exists(literal.Path, cancellationToken))
            {
                return [literal];
            }

            // Resolve the part before the first wildcard's segment, then match the rest against listings.
            var cut = location.LastIndexOf('/', wildcard);
            var basePart = cut < 0 ? "." : Unescape(location[..(cut + 1)]);
            var baseLocation = resolver.Resolve(basePart);
            var pattern = location[(cut + 1)..];
            var regex = GlobToRegex(pattern);
            var prefix = baseLocation.Path.Length == 0 ? string.Empty : baseLocation.Path.TrimEnd('/') + "/";
            var matches = baseLocation.Store.List(prefix, cancellationToken)
                .Where(b => regex.IsMatch(b.Path[prefix.Length..]) && !IsHidden(b.Path[prefix.Length..]))
                .Select(b => new StorageLocation(baseLocation.Store, b.Path))
                .ToList();
            if (matches.Count == 0)
            {
                throw new BlobNotFoundException(location + " (the pattern matched no file; escape a glob character that is part of a name with a backslash, e.g. data\\[1\\].csv)");
            }

            return matches;
        }

        var resolved = resolver.Resolve(Unescape(location));
        if (resolved.Store.Exists(resolved.Path, cancellationToken))
        {
            return [resolved];
        }

        var folder = resolved.Path.Length == 0 ? string.Empty : resolved.Path.TrimEnd('/') + "/";
        var files = resolved.Store.List(folder, cancellationToken)
            .Where(b => !IsHidden(b.Path[folder.Length..]))
            .Where(b => extension is null || b.Path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            .Select(b => new StorageLocation(resolved.Store, b.Path))
            .ToList();
        if (files.Count == 0)
        {
            throw new BlobNotFoundException(resolved.ToString() + (extension is null ? string.Empty : $" (no {extension} file there)"));
        }

        return files;
    }

    /// <summary>Whether a relative path has a segment that Spark treats as hidden ('_' or '.' prefix).</summary>
    public static bool IsHidden(string relativePath) =>
        relativePath.Split('/').Any(s => s.StartsWith('_') || s.StartsWith('.'));

    private static bool IsGlobCharacter(char c) => c is '*' or '?' or '[' or ']' or '\\';

    /// <summary>The index of the first glob character not escaped by a backslash, or -1.</summary>
    private static int FirstWildcard(string location)
    {
        for (var i = 0; i < location.Length; i++)
        {
            var c = location[i];
            if (c == '\\' && i + 1 < location.Length && IsGlobCharacter(location[i + 1]))
            {
                i++;
            }
            else if (c is '*' or '?' or '[')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Removes the backslashes that escape glob characters.</summary>
    private static string Unescape(string location)
    {
        if (!location.Contains('\\', StringComparison.Ordinal))
        {
            return location;
        }

        var sb = new System.Text.StringBuilder(location.Length);
        for (var i = 0; i < location.Length; i++)
        {
            if (location[i] == '\\' && i + 1 < location.Length && IsGlobCharacter(location[i + 1]))
            {
                i++;
            }

            sb.Append(location[i]);
        }

        return sb.ToString();
    }

    private static Regex GlobToRegex(string glob)
    {
        var sb = new System.Text.StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var ch = glob[i];
            switch (ch)
            {
                case '\\' when i + 1 < glob.Length && IsGlobCharacter(glob[i + 1]):
                    sb.Append(Regex.Escape(glob[++i].ToString()));
                    break;
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    sb.Append(".*");
                    i++;
                    if (i + 1 < glob.Length && glob[i + 1] == '/')
                    {
                        i++;
                        sb.Append("/?");
                    }

                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var close = glob.IndexOf(']', i);
                    if (close < 0)
                    {
                        sb.Append("\\[");
                    }
                    else
                    {
                        sb.Append('[').Append(glob[(i + 1)..close].Replace("\\", "\\\\")).Append(']');
                        i = close;
                    }

                    break;
                default:
                    sb.Append(Regex.Escape(ch.ToString()));
                    break;
            }
        }

        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
