using Apache.Arrow;
using Parquet;
using Parquet.Schema;

namespace Mlops.Features.Tests.Parquet;

/// <summary>Encodings other writers produce: legacy INT96 timestamps (Spark, Impala) and bare repeated lists.</summary>
public sealed class ParquetLegacyReadTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Int96TimestampsAndRepeatedDoublesAreRead()
    {
        // Parquet.Net writes a plain DateTime field as INT96 and a double[] field as a bare repeated column.
        var when = new DataField<DateTime>("when");
        var values = new DataField<double[]>("values");
        var schema = new ParquetSchema(new DataField<int>("id"), when, values);
        var times = new[] { new DateTime(1999, 12, 31, 23, 59, 59, DateTimeKind.Utc).AddTicks(1230), new DateTime(1950, 1, 1, 0, 0, 0, DateTimeKind.Utc) };
        var file = _temp.Combine("legacy.parquet");
        await using (var stream = File.Create(file))
        {
            await using var writer = await ParquetWriter.CreateAsync(schema, stream);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<int>((DataField)schema[0], new[] { 0, 1 });
            await group.WriteAsync<DateTime>(when, times);

            // Row 0: [1.5, 2.5]; row 1: an empty list (one level entry, definition 0).
            await group.WriteAllPartsAsync<double>(values, new[] { 1.5, 2.5 }, new[] { 1, 1, 0 }, new[] { 0, 1, 0 }, default);
        }

        var rows = Frame.ReadParquet(file).Collect().OrderBy(r => (int)r["id"]!).ToList();

        Assert.Equal(times[0], rows[0]["when"]);
        Assert.Equal(times[1], rows[1]["when"]);
        Assert.Equal(new[] { 1.5, 2.5 }, (double[])rows[0]["values"]!);
        Assert.Empty((double[])rows[1]["values"]!);
    }
}
