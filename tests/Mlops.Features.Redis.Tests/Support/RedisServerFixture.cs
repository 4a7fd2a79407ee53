using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mlops.Features.Redis.Tests.Support;

/// <summary>
/// Starts a real <c>redis-server</c> (the Debian package) on a free loopback port, with persistence off, and stops it
/// after the tests. Tests never skip: without redis-server they fail saying how to install it.
/// </summary>
/// <remarks>
/// redis-server runs under a small <c>sh</c> guardian whose standard input is a pipe from this process: when the
/// test host exits for any reason, a crash or a kill included, the kernel closes the pipe, the guardian reads the end
/// of its input and kills redis-server, so no server outlives the run. Disposal closes the pipe the same way.
/// Other test code (the benchmark) may use this class directly: <c>await using var redis = await RedisServerFixture.StartAsync();</c>.
/// </remarks>
public sealed class RedisServerFixture : IAsyncLifetime, IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    // $0 is redis-server's path, the rest its arguments. Background jobs of a non-interactive shell read /dev/null,
    // so only the guardian holds the pipe.
    private const string Guardian = "\"$0\" \"$@\" & pid=$!; cat > /dev/null; kill $pid 2>/dev/null; wait $pid";

    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _folder;

    /// <summary>The loopback port redis-server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>A StackExchange.Redis connection string for the server.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>Starts a server outside xunit's fixture lifetime; dispose it to stop it.</summary>
    public static async Task<RedisServerFixture> StartAsync()
    {
        var server = new RedisServerFixture();
        await server.InitializeAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>The redis-server executable: on PATH, or where Debian installs it.</summary>
    /// <exception cref="InvalidOperationException">It is not installed; the message says how to install it.</exception>
    public static string FindExecutable()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"])
            .Select(folder => Path.Combine(folder, "redis-server"));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "redis-server was not found on PATH or in /usr/bin. The Redis online store tests run against a real Redis: install it " +
                "(Debian/Ubuntu: 'sudo apt-get install -y redis-server'; macOS: 'brew install redis'). CI's .ci/run installs it.");
    }

    public async Task InitializeAsync()
    {
        var executable = FindExecutable();
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
                Stop();
            }
        }

        throw lastFailure!;
    }

    public Task DisposeAsync()
    {
        Stop();
        return Task.CompletedTask;
    }

    ValueTask IAsyncDisposable.DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops the server now (a test of what clients see when Redis goes away).</summary>
    public void Stop()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        var process = Interlocked.Exchange(ref _process, null);
        if (process is not null)
        {
            try
            {
                // Closing the guardian's input makes it kill redis-server and wait for it.
                process.StandardInput.Close();
                if (!process.WaitForExit(StopTimeout))
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(StopTimeout);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or Win32Exception)
            {
                // Already gone.
            }

            process.Dispose();
        }

        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        _folder = null;
    }

    private async Task StartAsync(string executable)
    {
        Port = FreeLoopbackPort();
        _folder = Path.Combine(Path.GetTempPath(), $"mlops-redis-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder,
        };
        foreach (var argument in new[]
        {
            "-c", Guardian, executable,
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", _folder, "--loglevel", "warning",
        })
        {
            start.ArgumentList.Add(argument);
        }

        lock (_output)
        {
            _output.Clear();
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{executable}'.");
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} before answering PING on port {Port}:{Environment.NewLine}{Output()}");
            }

            if (await AnswersPingAsync(Port).ConfigureAwait(false))
            {
                return;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"redis-server did not answer PING on port {Port} within {StartTimeout}:{Environment.NewLine}{Output()}");
    }

    private static async Task<bool> AnswersPingAsync(int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
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

    private void OnProcessExit(object? sender, EventArgs e) => Stop();

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
}

/// <summary>Shares one <see cref="RedisServerFixture"/> among every test class in the collection.</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    /// <summary>The collection's name, for <c>[Collection(RedisCollection.Name)]</c>.</summary>
    public const string Name = "Redis";
}
