using Apache.Arrow;
using Apache.Arrow.Types;
using BenchmarkDotNet.Attributes;
using Mlops.Arrow;

namespace Mlops.Benchmarks;

/// <summary>The gather kernel every join and filter runs: 64K random positions out of a 64K-row batch.</summary>
[MemoryDiagnoser]
public class ArrowKernelBenchmarks
{
    private IArrowArray _longs = null!;
    private IArrowArray _strings = null!;
    private int[] _indices = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var longs = (PrimitiveColumnBuilder<long>)ColumnBuilder.Create(Int64Type.Default, 65_536);
        var strings = (StringColumnBuilder)ColumnBuilder.Create(StringType.Default, 65_536);
        for (var i = 0; i < 65_536; i++)
        {
            longs.Append(random.NextInt64());
            strings.Append(("value-" + random.Next(1000)).AsSpan());
        }

        _longs = longs.Build();
        _strings = strings.Build();
        _indices = Enumerable.Range(0, 65_536).Select(_ => random.Next(65_536)).ToArray();
    }

    [Benchmark]
    public IArrowArray TakeInt64() => ArrowArrays.Take(_longs, _indices);

    [Benchmark]
    public IArrowArray TakeString() => ArrowArrays.Take(_strings, _indices);
}
