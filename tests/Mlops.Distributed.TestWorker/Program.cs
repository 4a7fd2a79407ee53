using System.Globalization;
using Mlops;
using Mlops.Distributed;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;
using Mlops.Distributed.Launch;
using Mlops.Distributed.TestWorker;

// A worker process for the distributed tests: reads its place in the job from the environment (as a real trainer
// does), runs one scenario, prints "OK" or "ERROR <type>: <message>" and exits 0 or 1.
//   sweep        every collective, type, reduction and awkward size, checked against a reference
//   mismatch     the last rank all-reduces one element fewer
//   loop         all-reduces forever, printing READY after the first call (the test kills a rank)
//   crash-once   rank 1 crashes in generation 0, succeeds afterwards (launcher restarts)
//   always-crash rank 1 always crashes with exit code 7
//   stall        rank 1 stops answering before an all-reduce (a hang outside collectives); the others time out in it
//   nccl [MB]    the NCCL backend on device memory (GPU check): correctness, then a [MB]-sized all-reduce's time
//   nccl-abort   the NCCL watchdog: a too-short deadline aborts the communicator with a clear error
var mode = args.Length > 0 ? args[0] : "sweep";
try
{
    var spec = ClusterSpecReader.FromEnvironment();
    var timeoutMs = int.Parse(Environment.GetEnvironmentVariable("MLOPS_TEST_TIMEOUT_MS") ?? "5000", CultureInfo.InvariantCulture);
    var options = new CollectiveOptions
    {
        CollectiveTimeout = TimeSpan.FromMilliseconds(timeoutMs),
        ConnectTimeout = TimeSpan.FromMilliseconds(int.Parse(Environment.GetEnvironmentVariable("MLOPS_TEST_CONNECT_TIMEOUT_MS") ?? "20000", CultureInfo.InvariantCulture)),
        PieceBytes = 4096,
        InlineBytes = 1024,
        SharedMemory = Environment.GetEnvironmentVariable("MLOPS_TEST_SHARED_MEMORY") != "0",
    };

    if (mode == "nccl")
    {
        return NcclCheck.Run(spec, args.Skip(1).ToArray());
    }

    if (mode == "nccl-abort")
    {
        return NcclCheck.Abort(spec);
    }

    if (mode == "crash-once" && spec.Rank == 1 && spec.Generation == 0)
    {
        Console.Error.WriteLine("simulated crash in generation 0");
        return 3;
    }

    using var communicator = TcpRingCommunicator.Create(spec, options);
    switch (mode)
    {
        case "sweep":
            Sweep.Run(communicator);
            break;
        case "mismatch":
            communicator.AllReduce(new float[spec.Rank == spec.WorldSize - 1 ? 99 : 100].AsSpan());
            break;
        case "loop":
            var buffer = new float[1 << 20];
            for (var i = 0; ; i++)
            {
                communicator.AllReduce(buffer.AsSpan());
                if (i == 0)
                {
                    Console.WriteLine("READY");
                    Console.Out.Flush();
                }
            }

        case "stall":
            var sums = new[] { (double)spec.Rank };
            if (spec.Rank == 1)
            {
                Console.WriteLine("STALLING");
                Console.Out.Flush();
                Thread.Sleep(Timeout.Infinite);
            }

            communicator.AllReduce(sums.AsSpan());
            break;
        case "crash-once":
        case "always-crash":
            var values = new[] { (double)spec.Rank };
            communicator.AllReduce(values.AsSpan());
            if (mode == "always-crash" && spec.Rank == 1)
            {
                for (var line = 1; line <= 30; line++)
                {
                    Console.Error.WriteLine($"failure detail line {line}");
                }

                // A crash, not a clean return: no graceful close of the communicator before the process is gone.
                Console.Error.Flush();
                Environment.Exit(7);
            }

            communicator.Barrier();
            Console.WriteLine($"sum {values[0]} generation {spec.Generation}");
            break;
        default:
            Console.Error.WriteLine($"unknown mode {mode}");
            return 2;
    }

    Console.WriteLine($"OK rank {spec.Rank}");
    return 0;
}
catch (MlopsException ex)
{
    // As a trainer's entry point does: the launcher reads this to name the root cause.
    WorkerErrorFile.Record(ex);
    Console.Error.WriteLine($"ERROR {ex.GetType().Name}: {ex.Message}");
    return 1;
}
