using System.Collections;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features.Tests.Parquet;

/// <summary>Deterministic frames covering every supported type, and value comparison helpers.</summary>
internal static class ParquetTestData
{
    public static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static readonly string[] Texts = ["", "plain", "héllo wörld", "日本語テキスト", "emoji 🚀✨", "tab\tand\nnewline", "\"quoted\"", new string('x', 300)];

    private static readonly double[] SpecialDoubles = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.MaxValue, double.Epsilon];

    public static Schema AllTypesSchema(IReadOnlyDictionary<string, string>? vectorMetadata = null) => new(
        [
            new Field("id", Int64Type.Default, false),
            new Field("b", BooleanType.Default, true),
            new Field("i8", Int8Type.Default, true),
            new Field("i16", Int16Type.Default, true),
            new Field("i32", Int32Type.Default, true),
            new Field("u8", UInt8Type.Default, true),
            new Field("u16", UInt16Type.Default, true),
            new Field("u32", UInt32Type.Default, true),
            new Field("u64", UInt64Type.Default, true),
            new Field("f", FloatType.Default, true),
            new Field("d", DoubleType.Default, true),
            new Field("s", StringType.Default, true),
            new Field("dt", Date32Type.Default, true),
            new Field("ts", new TimestampType(TimeUnit.Microsecond, "UTC"), true),
            new Field("v", new ListType(new Field("item", DoubleType.Default, true)), true, vectorMetadata),
        ],
        null);

    /// <summary>Rows of every type with nulls, extremes, unicode, NaN/inf, empty and null lists.</summary>
    public static List<object?[]> AllTypesRows(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<object?[]>(count);
        for (var i = 0; i < count; i++)
        {
            bool Null() => random.Next(7) == 0;
            var vectorLength = random.Next(5);
            rows.Add(
            [
                (long)i,
                Null() ? null : random.Next(2) == 1,
                Null() ? null : (sbyte)random.Next(sbyte.MinValue, sbyte.MaxValue + 1),
                Null() ? null : (short)random.Next(short.MinValue, short.MaxValue + 1),
                Null() ? null : i % 11 == 0 ? int.MinValue : random.Next(),
                Null() ? null : (byte)random.Next(256),
                Null() ? null : (ushort)random.Next(65536),
                Null() ? null : i % 13 == 0 ? uint.MaxValue : (uint)random.NextInt64(uint.MaxValue),
                Null() ? null : i % 17 == 0 ? ulong.MaxValue : (ulong)random.NextInt64() * 2,
                Null() ? null : i % 19 == 0 ? float.NaN : (float)(random.NextDouble() * 1000 - 500),
                Null() ? null : i % 5 == 0 ? SpecialDoubles[i / 5 % SpecialDoubles.Length] : random.NextDouble() * 1e6 - 5e5,
                Null() ? null : Texts[random.Next(Texts.Length)] + (i % 3 == 0 ? string.Empty : i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Null() ? null : DateOnly.FromDateTime(Epoch).AddDays(random.Next(-30_000, 30_000)),
                Null() ? null : Epoch.AddTicks(random.NextInt64(-1_000_000_000_000L, 4_000_000_000_000L) * 10),
                Null() ? null : Enumerable.Range(0, vectorLength).Select(_ => random.NextDouble()).ToArray(),
            ]);
        }

        return rows;
    }

    public static Frame AllTypesFrame(int count, int seed, int batchSize, IReadOnlyDictionary<string, string>? vectorMetadata = null) =>
        Frame.FromRows(AllTypesSchema(vectorMetadata), AllTypesRows(count, seed), batchSize);

    /// <summary>Asserts two row sets are equal after ordering both by <paramref name="key"/>.</summary>
    public static void AssertSameRows(IReadOnlyList<Row> expected, IReadOnlyList<Row> actual, string key)
    {
        Assert.Equal(expected.Count, actual.Count);
        var e = expected.OrderBy(r => Convert.ToInt64(r[key], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var a = actual.OrderBy(r => Convert.ToInt64(r[key], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        for (var i = 0; i < e.Count; i++)
        {
            Assert.Equal(e[i].Columns, a[i].Columns);
            for (var c = 0; c < e[i].Count; c++)
            {
                AssertSameValue(e[i][c], a[i][c], $"row {e[i][key]}, column '{e[i].Columns[c]}'");
            }
        }
    }

    public static void AssertSameValue(object? expected, object? actual, string where)
    {
        switch (expected, actual)
        {
            case (null, null):
                return;
            case (double x, double y):
                Assert.True(x.Equals(y) && BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y) || (double.IsNaN(x) && double.IsNaN(y)), $"{where}: expected {x:R}, got {y:R}");
                return;
            case (IEnumerable x, IEnumerable y) when expected is not string:
                var xs = x.Cast<object?>().ToList();
                var ys = y.Cast<object?>().ToList();
                Assert.True(xs.Count == ys.Count, $"{where}: expected {xs.Count} elements, got {ys.Count}");
                for (var i = 0; i < xs.Count; i++)
                {
                    AssertSameValue(xs[i], ys[i], $"{where}[{i}]");
                }

                return;
            default:
                Assert.True(Equals(expected, actual), $"{where}: expected {Describe(expected)}, got {Describe(actual)}");
                return;
        }
    }

    private static string Describe(object? value) => value is null ? "null" : $"{value} ({value.GetType().Name})";
}
