using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Storage.Blobs;

namespace Mlops.Tests.Support;

/// <summary>
/// Starts one Azurite blob service per test run on a free loopback port, installing Azurite with npm into
/// <c>&lt;repo&gt;/.tools/azurite</c> the first time. Tests never skip: if Azurite cannot start, they fail with why.
/// </summary>
/// <remarks>Other test projects reuse this file by linking it (<c>&lt;Compile Include="..\Mlops.Core.Tests\Support\AzuriteFixture.cs" /&gt;</c>).</remarks>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>The emulator's well-known account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The emulator's well-known, public account key.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const string AzuriteVersion = "3.37.0";
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _dataFolder;
    private int _containerCounter;

    /// <summary>The loopback port the blob service listens on.</summary>
    public int Port { get; private set; }

    /// <summary>The blob endpoint, e.g. <c>http://127.0.0.1:PORT/devstoreaccount1</c>.</summary>
    public Uri BlobEndpoint => new($"http://127.0.0.1:{Port}/{AccountName}");

    /// <summary>A connection string for the emulator account.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};";

    /// <summary>A client for a new, uniquely named container (not yet created) with the given options.</summary>
    public BlobContainerClient NewContainer(BlobClientOptions? options = null)
    {
        // Container names are at most 63 characters; a small process id makes the name shorter than 40, so cut only
        // what is longer (a fixed [..40] failed every Azurite test when the PIDs had wrapped round to 3 digits).
        var full = $"t{Environment.ProcessId}-{Interlocked.Increment(ref _containerCounter)}-{Guid.NewGuid():N}";
        var name = full[..Math.Min(full.Length, 40)].TrimEnd('-');
        return new BlobServiceClient(ConnectionString, options ?? new BlobClientOptions()).GetBlobContainerClient(name);
    }

    public async Task InitializeAsync()
    {
        var executable = await EnsureInstalledAsync().ConfigureAwait(false);
        Exception? lastFailure = null;

        // A free port can be taken between probing and binding; a few tries cover that race.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                await StartAsync(executable).ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException e)
            {
                lastFailure = e;
                StopProcess();
                DeleteDataFolder();
            }
        }

        throw lastFailure!;
    }

    public Task DisposeAsync()
    {
        StopProcess();
        DeleteDataFolder();
        return Task.CompletedTask;
    }

    /// <summary>The repository root: the nearest folder above the test binaries holding Mlops.sln.</summary>
    public static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Mlops.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Mlops.sln above '{AppContext.BaseDirectory}'; cannot find where to install Azurite.");
    }

    private static async Task<string> EnsureInstalledAsync()
    {
        var toolFolder = Path.Combine(FindRepositoryRoot(), ".tools", "azurite");
        var executable = Path.Combine(toolFolder, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite-blob.cmd" : "azurite-blob");
        if (File.Exists(executable))
        {
            return executable;
        }

        Directory.CreateDirectory(toolFolder);

        // Test projects may run in parallel processes: one installs, the others wait on the lock file.
        await using var installLock = await AcquireLockAsync(Path.Combine(toolFolder, "..", "azurite.install.lock")).ConfigureAwait(false);
        if (File.Exists(executable))
        {
            return executable;
        }

        var npm = OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
        var (exitCode, output) = await RunAsync(npm, ["install", "--no-audit", "--no-fund", "--prefix", toolFolder, $"azurite@{AzuriteVersion}"], InstallTimeout).ConfigureAwait(false);
        if (exitCode != 0 || !File.Exists(executable))
        {
            throw new InvalidOperationException($"'npm install azurite@{AzuriteVersion}' into '{toolFolder}' failed (exit code {exitCode}):{Environment.NewLine}{output}");
        }

        return executable;
    }

    private static async Task<FileStream> AcquireLockAsync(string path)
    {
        var deadline = DateTime.UtcNow + InstallTimeout + TimeSpan.FromMinutes(1);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500).ConfigureAwait(false);
            }
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{fileName}' was not found, and the storage tests need it to install Azurite {AzuriteVersion}. Install Node.js 20 or later with npm (e.g. 'apt-get install nodejs npm').", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeoutSource = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' did not finish within {timeout}.");
            }

            return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
        }
    }

    private async Task StartAsync(string executable)
    {
        Port = FreeLoopbackPort();
        _dataFolder = Path.Combine(Path.GetTempPath(), $"mlops-azurite-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dataFolder);
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--location", _dataFolder, "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent",
        })
        {
            start.ArgumentList.Add(argument);
        }

        lock (_output)
        {
            _output.Clear();
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{executable}'.");
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before listening on port {Port}:{Environment.NewLine}{Output()}");
            }

            if (await AcceptsConnectionsAsync(Port).ConfigureAwait(false))
            {
                return;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"Azurite did not listen on port {Port} within {StartTimeout}:{Environment.NewLine}{Output()}");
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.Length == 0 ? "(no output)" : _output.ToString();
        }
    }

    private void DeleteDataFolder()
    {
        if (_dataFolder is not null && Directory.Exists(_dataFolder))
        {
            Directory.Delete(_dataFolder, recursive: true);
        }

        _dataFolder = null;
    }

    private void StopProcess()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        _process = null;
    }
}

/// <summary>Shares one <see cref="AzuriteFixture"/> among every test class in the collection.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    /// <summary>The collection's name, for <c>[Collection(AzuriteCollection.Name)]</c>.</summary>
    public const string Name = "Azurite";
}
