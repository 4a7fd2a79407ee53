using Mlops.Tracking.Artifacts;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Artifacts;

public sealed class ArtifactRepositoryTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("/etc/passwd")]
    [InlineData("C:/x")]
    [InlineData("a\\..\\..\\x")]
    [InlineData("file:///etc")]
    public void Paths_escaping_the_root_are_refused(string path)
    {
        var error = Assert.Throws<MlflowException>(() => ArtifactPath.Normalize(path));
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, error.ErrorCode);
        var repository = new ArtifactRepository(_folder.Combine("root"));
        Assert.Throws<MlflowException>(() => repository.OpenRead(path));
    }

    [Fact]
    public void Normalises_relative_paths() =>
        Assert.Equal("a/b/c", ArtifactPath.Normalize("./a//b\\c/"));

    [Fact]
    public void Client_logs_lists_and_downloads_files_and_folders()
    {
        using var tracking = new TrackingClient(_folder.Combine("mlflow.db"));
        using var run = tracking.StartRun();
        var file = _folder.Combine("notes.txt");
        File.WriteAllText(file, "hello");
        var model = Directory.CreateDirectory(_folder.Combine("model", "sub")).Parent!.FullName;
        File.WriteAllText(Path.Combine(model, "MLmodel"), "flavors: {}");
        File.WriteAllText(Path.Combine(model, "sub", "weights.bin"), "0123456789");

        run.LogArtifact(file);
        run.LogArtifact(file, "docs");
        run.LogArtifacts(model, "model");
        Assert.Throws<MlflowException>(() => run.LogArtifact(file, "../outside"));
        Assert.Throws<MlflowException>(() => run.LogArtifacts(model, "/abs"));

        var root = tracking.ListArtifacts(run.RunId);
        Assert.Equal(["docs", "model", "notes.txt"], root.Select(a => a.Path));
        Assert.True(root[0].IsDirectory);
        Assert.Equal(5, root[2].FileSize);
        var modelEntries = tracking.ListArtifacts(run.RunId, "model");
        Assert.Equal([("model/MLmodel", false), ("model/sub", true)], modelEntries.Select(a => (a.Path, a.IsDirectory)));

        var download = _folder.Combine("download");
        var local = tracking.DownloadArtifacts(run.RunId, "model", download);
        Assert.Equal("0123456789", File.ReadAllText(Path.Combine(local, "sub", "weights.bin")));
        var single = tracking.DownloadArtifacts(run.RunId, "docs/notes.txt", download);
        Assert.Equal("hello", File.ReadAllText(single));
        Assert.Throws<MlflowException>(() => tracking.DownloadArtifacts(run.RunId, "nothing-here", download));
        Assert.False(File.Exists(Path.Combine(_folder.Path, "outside", "notes.txt")));
    }
}
