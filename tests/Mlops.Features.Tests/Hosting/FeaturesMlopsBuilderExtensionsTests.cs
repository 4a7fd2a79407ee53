using System.Collections.Concurrent;
using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mlops.Features.Tests.Text;
using Mlops.Storage;

namespace Mlops.Features.Tests.Hosting;

/// <summary>What a host configures (storage, parallelism) reaches the frames its session reads and writes, through a real generic host.</summary>
public sealed class FeaturesMlopsBuilderExtensionsTests : IDisposable
{
    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task The_hosts_resolver_reaches_reads_and_writes_of_the_session()
    {
        var recording = new RecordingResolver();
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<StorageResolver>(recording);
        var mlops = builder.Services.AddMlops();
        Assert.Same(mlops, mlops.AddStorage().AddFeatures());
        using var host = builder.Build();
        await host.StartAsync();

        var session = host.Services.GetRequiredService<FrameSession>();
        Assert.Same(recording, session.Resolver);
        var csv = _files.Write("in.csv", "id,price\n1,2.5\n2,3.5\n");
        var frame = session.ReadCsv(csv, header: true);
        var output = Path.Combine(_files.Root, "out");
        frame.Select("price").WriteParquet(output);
        var back = session.ReadParquet(output);

        Assert.Same(session, frame.Session);
        Assert.Contains(csv, recording.Resolved);
        Assert.Contains(output, recording.Resolved);
        Assert.Equal([2.5, 3.5], back.Collect().Select(r => (double)r[0]!));
        await host.StopAsync();
    }

    [Fact]
    public async Task Parallelism_binds_from_Mlops_Features_and_governs_the_sessions_frames()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Mlops:Features:DegreeOfParallelism"] = "1" });
        builder.Services.AddMlops(builder.Configuration).AddFeatures();
        using var host = builder.Build();
        await host.StartAsync();
        var session = host.Services.GetRequiredService<FrameSession>();
        Assert.Equal(1, session.DegreeOfParallelism);
        Assert.NotNull(host.Services.GetRequiredService<StorageResolver>());

        // Eight partitions that record how many of them run at once: with one worker, never two.
        var running = 0;
        var most = 0;
        var schema = new Schema.Builder().Field(f => f.Name("x").DataType(Int32Type.Default)).Build();
        var partitions = Enumerable.Range(0, 8).Select(i => (FramePartition)(_ => Run(i))).ToArray();
        var frame = Frame.FromPartitions(schema, partitions).WithSession(session);
        Assert.Equal(8, frame.Count());
        Assert.Equal(1, most);

        // The writer's workers too: one worker, one part file.
        var written = frame.WriteParquet(Path.Combine(_files.Root, "parts"));
        Assert.Single(written.Files);
        await host.StopAsync();

        IEnumerable<RecordBatch> Run(int i)
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            try
            {
                yield return new RecordBatch(schema, [new Int32Array.Builder().Append(i).Build()], 1);
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }
    }

    [Fact]
    public async Task Bad_parallelism_fails_at_host_start_naming_the_field()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Mlops:Features:DegreeOfParallelism"] = "0" });
        builder.Services.AddMlops(builder.Configuration).AddFeatures();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("DegreeOfParallelism", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_host_the_static_readers_use_the_immutable_default_session()
    {
        var csv = _files.Write("in.csv", "id\n1\n");

        var frame = Frame.ReadCsv(csv, header: true);

        Assert.Same(FrameSession.Default, frame.Session);
        Assert.Same(StorageResolver.Default, FrameSession.Default.Resolver);
        Assert.Equal(Environment.ProcessorCount, FrameSession.Default.DegreeOfParallelism);
        Assert.Throws<OptionsValidationException>(() => new FrameSession(new FeaturesOptions { DegreeOfParallelism = 0 }));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    private sealed class RecordingResolver : StorageResolver
    {
        public ConcurrentBag<string> Resolved { get; } = [];

        public override StorageLocation Resolve(string location)
        {
            Resolved.Add(location);
            return base.Resolve(location);
        }
    }
}
