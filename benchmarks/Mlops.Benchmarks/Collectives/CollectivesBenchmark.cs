using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Mlops.Training.Distributed;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;

namespace Mlops.Benchmarks.Collectives;

/// <summary>
/// All-reduce over the TCP ring between real processes on this machine: latency, algorithm bandwidth and bus
/// bandwidth (busbw = algbw × 2(n−1)/n, as nccl-tests reports it) for 1 KB to 64 MB at 2 and 4 ranks, and in the same
/// run the raw TCP loopback bandwidth between two processes, the bound the ring is measured against.
/// Each size is timed <c>--repeats</c> times and the best repetition is reported (the box is shared and noisy).
/// Where MPI is installed (<c>mpicc</c> and <c>mpiexec</c> on the path, e.g. apt's mpich), the same sizes also go
/// through MPI_Allreduce in the same run, side by side (<c>--mpi off</c> skips it, <c>--mpi on</c> requires it).
///   collectives [--ranks 2,4] [--max-mb 64] [--repeats 5] [--piece-kb 256] [--segment-kb 2048] [--inline-kb 32] [--transport shm,tcp] [--mpi auto|on|off]
/// </summary>
public static class CollectivesBenchmark
{
    private static readonly long[] Sizes = [1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20];

    /// <summary>Dispatches the parent command and the child roles.</summary>
    public static int Run(string[] args)
    {
        var options = args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
        return args[0] switch
        {
            "collectives-worker" => Worker(options),
            "collectives-tcp" => TcpPeer(int.Parse(options["port"], CultureInfo.InvariantCulture), long.Parse(options["bytes"], CultureInfo.InvariantCulture), options["both"] == "1"),
            _ => Parent(options),
        };
    }

    private static int Parent(Dictionary<string, string> options)
    {
        var ranks = options.GetValueOrDefault("ranks", "2,4").Split(',').Select(int.Parse).ToArray();
        var maxBytes = long.Parse(options.GetValueOrDefault("max-mb", "64"), CultureInfo.InvariantCulture) << 20;
        var repeats = int.Parse(options.GetValueOrDefault("repeats", "5"), CultureInfo.InvariantCulture);
        var forward = options.Where(o => o.Key is "piece-kb" or "segment-kb" or "inline-kb" or "max-mb" or "repeats").SelectMany(o => new[] { "--" + o.Key, o.Value }).ToArray();
        var transports = options.GetValueOrDefault("transport", "shm,tcp").Split(',');
        Console.WriteLine($"# {Environment.ProcessorCount} cores; shared, noisy machine: compare figures of the same run only");
        var bound = Enumerable.Range(0, repeats).Max(_ => RawLoopback(1L << 30, both: false));
        var both = Enumerable.Range(0, repeats).Max(_ => RawLoopback(512L << 20, both: true));
        Console.WriteLine($"raw TCP loopback between two processes, best of {repeats}: {bound:0.00} GB/s one way; {both:0.00} GB/s per direction when both send at once");
        var mpi = MpiAllReduce.Measure(options.GetValueOrDefault("mpi", "auto"), ranks, maxBytes, repeats);
        if (mpi is null)
        {
            return 1;
        }

        Console.WriteLine();
        Console.WriteLine("transport | ranks | size | time (us) | algbw (GB/s) | busbw (GB/s) | busbw / one-way bound | busbw / both-ways bound | MPI_Allreduce (us) | time / MPI");
        Console.WriteLine("---|---:|---:|---:|---:|---:|---:|---:|---:|---:");
        foreach (var (transport, n) in transports.SelectMany(t => ranks.Select(n => (t, n))))
        {
            var port = FreePort();
            var children = Enumerable.Range(0, n).Select(r => Start(["collectives-worker", .. forward, "--transport", transport], r, n, port)).ToList();
            string? line;
            while ((line = children[0].StandardOutput.ReadLine()) is not null)
            {
                var f = line.Split(' ');
                var bytes = long.Parse(f[0], CultureInfo.InvariantCulture);
                var seconds = double.Parse(f[1], CultureInfo.InvariantCulture);
                var algbw = bytes / seconds / 1e9;
                var busbw = algbw * 2 * (n - 1) / n;
                var reference = mpi.TryGetValue((n, bytes), out var mpiSeconds) ? $"{mpiSeconds * 1e6:0.0} | {seconds / mpiSeconds:0.00}x" : "— | —";
                Console.WriteLine($"{f[2]} | {n} | {Human(bytes)} | {seconds * 1e6:0.0} | {algbw:0.000} | {busbw:0.000} | {busbw / bound:0.00}x | {busbw / both:0.00}x | {reference}");
            }

            foreach (var child in children)
            {
                child.WaitForExit();
                if (child.ExitCode != 0)
                {
                    Console.Error.WriteLine($"a rank failed: {child.StandardError.ReadToEnd()}");
                    return 1;
                }
            }
        }

        return 0;
    }

    private static int Worker(Dictionary<string, string> options)
    {
        var spec = ClusterSpecReader.FromEnvironment();
        var training = new CollectiveOptions
        {
            PieceBytes = int.Parse(options.GetValueOrDefault("piece-kb", "256"), CultureInfo.InvariantCulture) << 10,
            SegmentBytes = int.Parse(options.GetValueOrDefault("segment-kb", "2048"), CultureInfo.InvariantCulture) << 10,
            InlineBytes = int.Parse(options.GetValueOrDefault("inline-kb", "32"), CultureInfo.InvariantCulture) << 10,
            SharedMemory = options.GetValueOrDefault("transport", "shm") != "tcp",
        };
        var maxBytes = long.Parse(options.GetValueOrDefault("max-mb", "64"), CultureInfo.InvariantCulture) << 20;
        var repeats = int.Parse(options.GetValueOrDefault("repeats", "5"), CultureInfo.InvariantCulture);
        using var comm = TcpRingCommunicator.Create(spec, training);
        var buffer = new float[maxBytes / 4];
        var elapsed = new double[1];
        foreach (var bytes in Sizes.Where(s => s <= maxBytes))
        {
            var span = buffer.AsSpan(0, (int)(bytes / 4));
            var iterations = (int)Math.Clamp((256L << 20) / bytes, 10, 2000);
            for (var i = 0; i < Math.Max(5, iterations / 10); i++)
            {
                comm.AllReduce(span);
            }

            var best = double.MaxValue;
            for (var repeat = 0; repeat < repeats; repeat++)
            {
                comm.Barrier();
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < iterations; i++)
                {
                    comm.AllReduce(span);
                }

                // The slowest rank's time is the collective's time.
                elapsed[0] = watch.Elapsed.TotalSeconds / iterations;
                comm.AllReduce(elapsed.AsSpan(), ReduceOp.Max);
                best = Math.Min(best, elapsed[0]);
            }

            elapsed[0] = best;
            if (spec.Rank == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bytes} {elapsed[0]:R} {comm.Transport}"));
                Console.Out.Flush();
            }
        }

        return 0;
    }

    /// <summary>
    /// A child process sends <paramref name="bytes"/> to this one over loopback TCP (and, with <paramref name="both"/>,
    /// this one sends as much back at the same time); returns GB/s per direction.
    /// </summary>
    private static double RawLoopback(long bytes, bool both)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var child = Start(["collectives-tcp", "--port", port.ToString(CultureInfo.InvariantCulture), "--bytes", bytes.ToString(CultureInfo.InvariantCulture), "--both", both ? "1" : "0"], 0, 1, 0);
        using var socket = listener.AcceptSocket();
        var watch = Stopwatch.StartNew();
        var sender = both ? Task.Run(() => SendAll(socket, bytes)) : Task.CompletedTask;
        var received = ReceiveAll(socket, bytes);
        sender.Wait();
        var seconds = watch.Elapsed.TotalSeconds;
        child.WaitForExit();
        return received / seconds / 1e9;
    }

    private static int TcpPeer(int port, long bytes, bool both)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(IPAddress.Loopback, port);
        var receiver = both ? Task.Run(() => ReceiveAll(socket, bytes)) : Task.FromResult(0L);
        SendAll(socket, bytes);
        receiver.Wait();
        return 0;
    }

    private static void SendAll(Socket socket, long bytes)
    {
        var buffer = new byte[4 << 20];
        for (var sent = 0L; sent < bytes; sent += buffer.Length)
        {
            socket.Send(buffer);
        }
    }

    private static long ReceiveAll(Socket socket, long bytes)
    {
        var buffer = new byte[4 << 20];
        var received = 0L;
        while (received < bytes)
        {
            var n = socket.Receive(buffer);
            if (n == 0)
            {
                break;
            }

            received += n;
        }

        return received;
    }

    private static Process Start(string[] args, int rank, int worldSize, int port)
    {
        // Re-run this program: as an apphost directly, or through dotnet with the entry assembly.
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["RANK"] = rank.ToString(CultureInfo.InvariantCulture);
        start.Environment["WORLD_SIZE"] = worldSize.ToString(CultureInfo.InvariantCulture);
        start.Environment["MASTER_ADDR"] = "127.0.0.1";
        start.Environment["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment.Remove("TF_CONFIG");
        return Process.Start(start)!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Human(long bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MB" : $"{bytes >> 10} KB";
}
