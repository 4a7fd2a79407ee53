using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features;
using Mlops.Training.Data;
using Mlops.Training.Runtime;
using TorchSharp;

namespace Mlops.Training.Tests.Data;

/// <summary>A temporary folder deleted with the test.</summary>
internal sealed class DataTempFolder : IDisposable
{
    public DataTempFolder()
    {
        Path = Directory.CreateTempSubdirectory("mlops-data-").FullName;
    }

    public string Path { get; }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still open on a slow file system is left to the OS's temp cleanup.
        }
    }
}

/// <summary>One batch read back as plain arrays.</summary>
internal sealed record BatchValues(float[] Labels, float[][] Features, long GlobalCount, DatasetPosition Position)
{
    public int Count => Labels.Length;
}

internal static class DataTestSupport
{
    /// <summary>Record <paramref name="id"/>'s feature vector: distinct, exactly representable values derived from the id.</summary>
    public static double[] FeaturesOf(int id, int width)
    {
        var values = new double[width];
        for (var j = 0; j < width; j++)
        {
            values[j] = id + (j * 0.25);
        }

        return values;
    }

    /// <summary>An in-memory dataset whose labels are the record ids 0..rows-1.</summary>
    public static Dataset InMemory(int rows, int width = 3)
    {
        var features = new float[rows][];
        var labels = new float[rows];
        for (var i = 0; i < rows; i++)
        {
            features[i] = FeaturesOf(i, width).Select(v => (float)v).ToArray();
            labels[i] = i;
        }

        return Dataset.FromArrays(features, labels);
    }

    /// <summary>
    /// Writes records 0..rows-1 (features list&lt;double&gt; from <see cref="FeaturesOf"/>, label = id) with the Frame
    /// writer, as the feature job does, into files of <paramref name="rowsPerFile"/> rows and row groups of
    /// <paramref name="rowGroupSize"/> rows.
    /// </summary>
    public static string WriteParquet(string folder, int rows, int width, int rowsPerFile, int rowGroupSize)
    {
        var schema = new Schema(
            [
                new Field("id", Int64Type.Default, false),
                new Field("features", new ListType(new Field("item", DoubleType.Default, true)), true),
                new Field("label", DoubleType.Default, false),
            ],
            null);
        var records = Enumerable.Range(0, rows).Select(i => (IReadOnlyList<object?>)[(long)i, FeaturesOf(i, width), (double)i]);
        Frame.FromRows(schema, records, batchSize: Math.Max(1, rowGroupSize))
            .WriteParquet(folder, new ParquetWriteOptions { RowGroupSize = rowGroupSize, MaxRowsPerFile = rowsPerFile, DegreeOfParallelism = 1 });
        return folder;
    }

    /// <summary>Reads every batch of one replica into arrays, disposing the tensors.</summary>
    public static List<BatchValues> ReadAll(Dataset dataset, int replica = 0, int replicas = 1, DatasetPosition start = default, torch.ScalarType type = torch.ScalarType.Float32, int limit = int.MaxValue)
    {
        TorchRuntime.EnsureInitialized();
        var result = new List<BatchValues>();
        foreach (var batch in dataset.Read(new DataReadContext(replica, replicas, type), start))
        {
            using (batch)
            {
                result.Add(ToValues(batch));
            }

            if (result.Count == limit)
            {
                break;
            }
        }

        return result;
    }

    public static BatchValues ToValues(DataBatch batch)
    {
        Assert.Equal(DeviceType.CPU, batch.Features.device_type);
        Assert.Equal(2, batch.Features.shape.Length);
        Assert.Equal(batch.Count, batch.Labels.shape[0]);
        using var features = batch.Features.to_type(torch.ScalarType.Float32);
        using var labels = batch.Labels.to_type(torch.ScalarType.Float32);
        var width = (int)batch.Features.shape[1];
        if (batch.Count == 0)
        {
            // TorchSharp's accessor cannot copy out of an empty tensor.
            return new BatchValues([], [], batch.GlobalCount, batch.Position);
        }

        var flat = features.data<float>().ToArray();
        var rows = new float[batch.Count][];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = flat.AsSpan(r * width, width).ToArray();
        }

        return new BatchValues(labels.data<float>().ToArray(), rows, batch.GlobalCount, batch.Position);
    }

    /// <summary>Every row's features match its label's id (so a row was never torn apart from its label).</summary>
    public static void AssertRowsIntact(IEnumerable<BatchValues> batches, int width)
    {
        foreach (var batch in batches)
        {
            for (var r = 0; r < batch.Count; r++)
            {
                var expected = FeaturesOf((int)batch.Labels[r], width).Select(v => (float)v).ToArray();
                Assert.Equal(expected, batch.Features[r]);
            }
        }
    }
}
