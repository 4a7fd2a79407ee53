using System.IO.Compression;
using System.Text;
using Apache.Arrow;
using Mlops.Arrow;

namespace Mlops.Features.Tests.Text;

/// <summary>A temporary folder for the files a test reads; deleted on dispose.</summary>
internal sealed class TextTestFiles : IDisposable
{
    public TextTestFiles()
    {
        Root = Path.Combine(Path.GetTempPath(), "mlops-text-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Writes UTF-8 text (no byte order mark) exactly as given, and returns the file's full path.</summary>
    public string Write(string name, string content) => WriteBytes(name, new UTF8Encoding(false).GetBytes(content));

    public string WriteBytes(string name, byte[] content)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Writes gzip-compressed UTF-8 text.</summary>
    public string WriteGzip(string name, string content)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(new UTF8Encoding(false).GetBytes(content));
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow runner; the OS temp cleaner removes it later.
        }
    }
}

/// <summary>Reading frames back as plain values for assertions.</summary>
internal static class FrameValues
{
    /// <summary>All rows, each as an array of CLR values.</summary>
    public static List<object?[]> Rows(Frame frame) => frame.Collect().Select(r => r.Values.ToArray()).ToList();

    /// <summary>One column's values.</summary>
    public static List<object?> Column(Frame frame, string name) => frame.Collect().Select(r => r[name]).ToList();

    /// <summary>The batches of every partition, in order.</summary>
    public static List<RecordBatch> Batches(Frame frame) => frame.ReadBatches(default, 1).ToList();

    /// <summary>A UTC timestamp from ISO text, for expected values.</summary>
    public static DateTime Utc(string iso) => DateTime.Parse(iso, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);

    public static string TypeOf(Frame frame, string column) => frame.Schema.GetFieldByName(column).DataType.Name;

    public static object? Value(IArrowArray array, int index) => ArrowValues.GetValue(array, index);
}
