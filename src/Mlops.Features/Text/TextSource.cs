using System.IO.Compression;
using Mlops.Storage;

namespace Mlops.Features.Text;

/// <summary>Opens the files text readers read: gzip-compressed ones (".gz") are decompressed on the fly.</summary>
internal static class TextSource
{
    public static Stream Open(StorageLocation location, CancellationToken cancellationToken)
    {
        var stream = location.Store.OpenRead(location.Path, cancellationToken);
        if (location.Path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            return new GZipStream(stream, CompressionMode.Decompress, leaveOpen: false);
        }

        return stream;
    }

    /// <summary>
    /// Estimates how many records the files hold, for join planning: their total size divided by the average
    /// line length in the first 64 KiB of the first file (gzip files are assumed to expand about 5×).
    /// </summary>
    public static long? EstimateRecords(IReadOnlyList<StorageLocation> files, CancellationToken cancellationToken)
    {
        long bytes = 0;
        foreach (var file in files)
        {
            if (file.Store.GetInfo(file.Path, cancellationToken) is not { } info)
            {
                return null;
            }

            bytes += file.Path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? info.Length * 5 : info.Length;
        }

        if (files.Count == 0 || bytes == 0)
        {
            return 0;
        }

        var sample = new byte[64 * 1024];
        int read;
        using (var stream = Open(files[0], cancellationToken))
        {
            read = stream.ReadAtLeast(sample, sample.Length, throwOnEndOfStream: false);
        }

        var lines = Math.Max(1, CountLineBreaks(sample.AsSpan(0, read)));
        return Math.Max(1, bytes * lines / Math.Max(1, read));
    }

    /// <summary>Counts line breaks (LF, CRLF or a lone CR) in a span, for physical line numbers inside quoted fields.</summary>
    public static int CountLineBreaks(ReadOnlySpan<byte> span)
    {
        var count = span.Count((byte)'\n');
        if (span.Contains((byte)'\r'))
        {
            for (var i = span.IndexOf((byte)'\r'); i >= 0 && i < span.Length; i++)
            {
                if (span[i] == '\r' && (i + 1 == span.Length || span[i + 1] != '\n'))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Text of a value for an error message: decoded, shortened, with line breaks shown.</summary>
    public static string Quote(ReadOnlySpan<byte> utf8, int max = 60)
    {
        var text = System.Text.Encoding.UTF8.GetString(utf8.Length > max * 4 ? utf8[..(max * 4)] : utf8);
        if (text.Length > max)
        {
            text = text[..max] + "...";
        }

        return "'" + text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "'";
    }
}
