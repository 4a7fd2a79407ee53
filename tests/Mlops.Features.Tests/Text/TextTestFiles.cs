using System.IO.Compression;
using System.Text;

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
