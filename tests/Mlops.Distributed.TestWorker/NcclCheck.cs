using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;
using Mlops.Distributed.Nccl;

namespace Mlops.Distributed.TestWorker;

/// <summary>
/// The GPU check (tools/gpu-check.sh): the NCCL backend on device memory — init, all-reduce in place and out of place
/// with every type and reduction checked on the host, the watchdog's abort, and the time of a 256 MB all-reduce.
/// </summary>
internal static unsafe class NcclCheck
{
    public static int Run(ClusterSpec spec, string[] args)
    {
        var megabytes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 256;
        var options = new CollectiveOptions { CollectiveTimeout = TimeSpan.FromSeconds(30), ConnectTimeout = TimeSpan.FromSeconds(60) };
        var watch = Stopwatch.StartNew();
        using var nccl = NcclCommunicator.Create(spec, options);
        Console.WriteLine($"init rank {spec.Rank}/{spec.WorldSize} on GPU {nccl.Device}: {watch.Elapsed.TotalMilliseconds:0} ms");
        var api = NcclApi.Load(null, null, spec.Rank);

        // Correctness: each rank holds rank+1+i; sums and the other reductions are checked on the host.
        const int count = 1_000_003;
        var host = new float[count];
        nint a = Malloc(api, count * 4L), b = Malloc(api, count * 4L);
        try
        {
            foreach (var op in Enum.GetValues<ReduceOp>())
            {
                for (var i = 0; i < count; i++)
                {
                    host[i] = spec.Rank + 1 + (i % 7);
                }

                Copy(api, host, a, toDevice: true);
                nccl.AllReduce(a, b, count, CollectiveDataType.Float32, op);
                nccl.AllReduce(a, a, count, CollectiveDataType.Float32, op);
                var outOfPlace = new float[count];
                Copy(api, outOfPlace, b, toDevice: false);
                Copy(api, host, a, toDevice: false);
                for (var i = 0; i < count; i++)
                {
                    var values = Enumerable.Range(0, spec.WorldSize).Select(r => (float)(r + 1 + (i % 7))).ToArray();
                    var expected = op switch
                    {
                        ReduceOp.Sum => values.Sum(),
                        ReduceOp.Average => values.Sum() / spec.WorldSize,
                        ReduceOp.Min => values.Min(),
                        ReduceOp.Max => values.Max(),
                        _ => values.Aggregate(1f, (x, y) => x * y),
                    };
                    if (Math.Abs(host[i] - expected) > 1e-3 * Math.Abs(expected) || Math.Abs(outOfPlace[i] - expected) > 1e-3 * Math.Abs(expected))
                    {
                        Console.Error.WriteLine($"ERROR {op}: element {i} in place {host[i]}, out of place {outOfPlace[i]}, expected {expected}");
                        return 1;
                    }
                }

                Console.WriteLine($"all-reduce {op} float32 × {count} in place and out of place: correct");
            }
        }
        finally
        {
            api.CudaFree(a);
            api.CudaFree(b);
        }

        // Speed: a 256 MB all-reduce in place, after a warm-up.
        var elements = megabytes * (1L << 20) / 4;
        var big = Malloc(api, elements * 4);
        try
        {
            nccl.AllReduce(big, big, elements, CollectiveDataType.Float32, ReduceOp.Sum);
            const int iterations = 20;
            watch.Restart();
            for (var i = 0; i < iterations; i++)
            {
                nccl.AllReduce(big, big, elements, CollectiveDataType.Float32, ReduceOp.Sum);
            }

            var ms = watch.Elapsed.TotalMilliseconds / iterations;
            var algbw = elements * 4 / (ms / 1000) / 1e9;
            var busbw = algbw * 2 * (spec.WorldSize - 1) / spec.WorldSize;
            Console.WriteLine($"all-reduce {megabytes} MB float32 × {spec.WorldSize} rank(s): {ms:0.000} ms, algbw {algbw:0.0} GB/s, busbw {busbw:0.0} GB/s");
        }
        finally
        {
            api.CudaFree(big);
        }

        Console.WriteLine($"OK rank {spec.Rank}");
        return 0;
    }

    /// <summary>
    /// The watchdog: a host callback that sleeps 3 s is queued on the stream in front of an all-reduce, so the
    /// collective cannot finish within its 500 ms deadline; the communicator must abort with a clear error and refuse
    /// later calls.
    /// </summary>
    public static int Abort(ClusterSpec spec)
    {
        var options = new CollectiveOptions { CollectiveTimeout = TimeSpan.FromMilliseconds(500), ConnectTimeout = TimeSpan.FromSeconds(60) };
        using var nccl = NcclCommunicator.Create(spec, options);
        var api = NcclApi.Load(null, null, spec.Rank);
        var cudart = NativeLibrary.Load(api.CudaRuntimePath);
        var launchHostFunc = (delegate* unmanaged<nint, delegate* unmanaged<nint, void>, nint, int>)NativeLibrary.GetExport(cudart, "cudaLaunchHostFunc");
        var buffer = Malloc(api, 4 << 20);
        try
        {
            var status = launchHostFunc(nccl.Stream, &SleepOnStream, 3000);
            if (status != 0)
            {
                Console.Error.WriteLine($"ERROR cudaLaunchHostFunc failed: {api.CudaError(status)}");
                return 1;
            }

            var watch = Stopwatch.StartNew();
            try
            {
                nccl.AllReduce(buffer, buffer, 1 << 20, CollectiveDataType.Float32, ReduceOp.Sum);
                Console.Error.WriteLine("ERROR: the all-reduce finished behind a 3 s stall within its 500 ms deadline; the watchdog did not fire");
                return 1;
            }
            catch (CollectiveTimeoutException ex)
            {
                Console.WriteLine($"watchdog fired after {watch.Elapsed.TotalMilliseconds:0} ms: {ex.Message}");
            }

            try
            {
                nccl.AllReduce(buffer, buffer, 1 << 20, CollectiveDataType.Float32, ReduceOp.Sum);
                Console.Error.WriteLine("ERROR: the aborted communicator accepted another call");
                return 1;
            }
            catch (CollectiveException after)
            {
                Console.WriteLine($"aborted communicator refuses further calls: {after.Message}");
            }

            Console.WriteLine($"OK rank {spec.Rank}");
            return 0;
        }
        finally
        {
            api.CudaDeviceSynchronize();
            api.CudaFree(buffer);
        }
    }

    [UnmanagedCallersOnly]
    private static void SleepOnStream(nint milliseconds) => Thread.Sleep((int)milliseconds);

    private static nint Malloc(NcclApi api, long bytes)
    {
        nint pointer;
        var status = api.CudaMalloc(&pointer, (nuint)bytes);
        return status == 0 ? pointer : throw new InvalidOperationException($"cudaMalloc({bytes}) failed: {api.CudaError(status)}");
    }

    private static void Copy(NcclApi api, float[] host, nint device, bool toDevice)
    {
        fixed (float* p = host)
        {
            var status = toDevice
                ? api.CudaMemcpy(device, (nint)p, (nuint)(host.Length * 4L), NcclApi.CudaMemcpyHostToDevice)
                : api.CudaMemcpy((nint)p, device, (nuint)(host.Length * 4L), NcclApi.CudaMemcpyDeviceToHost);
            if (status != 0)
            {
                throw new InvalidOperationException($"cudaMemcpy failed: {api.CudaError(status)}");
            }
        }
    }
}
