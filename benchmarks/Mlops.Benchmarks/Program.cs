using BenchmarkDotNet.Running;
using Mlops.Benchmarks;

// benchmarks: side-by-side harnesses (print a ratio against a reference run in the same script) and
// BenchmarkDotNet micro-benchmarks.
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- seedjob [--clicks 10000000] [--repeats 3] [--dir D]
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- seedjob-stages [--clicks N]   (cost of each stage)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- seedjob-allocations [--clicks N] [--top 25]   (allocations by type)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- pipelines [--tasks 10000]   (DAG scheduling overhead)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- collectives [--ranks 2,4] [--max-mb 64] [--repeats 5]   (TCP ring all-reduce vs loopback TCP)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- tracking [--runs 100000] [--metrics 10] [--repeats 5] [--server http://127.0.0.1:5000]   (logging and search)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- training [--batches 32,1024] [--steps 1500] [--threads 2]   (Fit vs a plain TorchSharp loop)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- training-workers [--workers 2] [--batches 32,1024]   (2-worker throughput, all-reduce share)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- training-gpu [--device cuda|cpu] [--configs seed-b1024,...] [--libtorch DIR] | training-cuda-check   (GPU: Fit vs plain TorchSharp; tools/gpu-check.sh)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- serving [--warmup 30] [--duration 20] [--connections 64]   (OIP servers with wrk vs a bare Kestrel MLP)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- online [--entities 10000] [--reads 20000] [--batches 500] [--seconds 5]   (online stores vs raw SQLite / Redis clients)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- pit-join [--entities 1000000] [--features 10000000] [--keys 100000] [--repeats 3] [--threads 2] [--budgets 256m,16m] [--dir D]   (GetHistoricalFeatures vs DuckDB ASOF JOIN, results checked equal)
//   dotnet run -c Release --project benchmarks/Mlops.Benchmarks -- bdn [BenchmarkDotNet arguments, e.g. --filter *Take*]
if (args.Length >= 4 && args[0] == "engine")
{
    return SeedJobComparison.RunEngine(args[1], args[2], args[3]);
}

if (args.Length >= 1 && args[0] is "seedjob" or "seedjob-stages" or "seedjob-allocations")
{
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 1; i + 1 < args.Length; i += 2)
    {
        options[args[i].TrimStart('-')] = args[i + 1];
    }

    return args[0] switch
    {
        "seedjob" => SeedJobComparison.Run(options),
        "seedjob-stages" => SeedJobStages.Run(options),
        _ => SeedJobAllocations.Run(options),
    };
}

if (args.Length >= 1 && args[0] == "pipelines")
{
    return Mlops.Benchmarks.Pipelines.PipelineThroughput.Run(args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]));
}

if (args.Length >= 1 && args[0] is "collectives" or "collectives-worker" or "collectives-tcp")
{
    return Mlops.Benchmarks.Collectives.CollectivesBenchmark.Run(args);
}

if (args.Length >= 1 && args[0] == "tracking")
{
    return Mlops.Benchmarks.Tracking.TrackingThroughput.Run(args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]));
}

if (args.Length >= 1 && args[0] is "training" or "training-workers" or "training-worker")
{
    return Mlops.Benchmarks.Training.TrainerBenchmark.Run(args);
}

if (args.Length >= 1 && args[0] is "training-gpu" or "training-cuda-check")
{
    return Mlops.Benchmarks.Training.GpuTrainerBenchmark.Run(args);
}

if (args.Length >= 1 && args[0] == "serving")
{
    return await Mlops.Benchmarks.Serving.ServingBenchmark.RunAsync(args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]));
}

if (args.Length >= 1 && args[0] == "online")
{
    return await Mlops.Benchmarks.FeatureStore.OnlineStoreBenchmark.RunAsync(args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]));
}

if (args.Length >= 1 && args[0] == "pit-join")
{
    return await Mlops.Benchmarks.FeatureStore.PointInTimeJoinBenchmark.RunAsync(args.Skip(1).Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]));
}

if (args.Length >= 1 && args[0] == "bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(SeedJobComparison).Assembly).Run(args[1..]);
    return 0;
}

Console.Error.WriteLine("usage: Mlops.Benchmarks seedjob [--clicks N] [--repeats R] [--dir D] | seedjob-stages [--clicks N] | pipelines [--tasks N] [--repeats R] | collectives [--ranks 2,4] [--max-mb N] | tracking [--runs N] | online [--entities N] [--reads N] | pit-join [--entities N] [--features N] [--repeats R] | bdn [BenchmarkDotNet args]");
return 2;
