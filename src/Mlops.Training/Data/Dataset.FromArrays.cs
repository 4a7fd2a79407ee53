using Mlops.Training.Data.Pipeline;
using Mlops.Training.Data.Sources;

namespace Mlops.Training.Data;

public abstract partial class Dataset
{
    /// <summary>A dataset of in-memory rows (copied into one contiguous block) and their labels, like <c>tf.data.Dataset.from_tensor_slices((x, y))</c>.</summary>
    /// <param name="features">One feature vector per record; all of the same length.</param>
    /// <param name="labels">One label per record.</param>
    /// <returns>The dataset (unbatched: call <see cref="Batch"/>).</returns>
    /// <exception cref="ArgumentException">The rows differ in length (the message names the first that does), there are no rows, or the label count differs.</exception>
    public static Dataset FromArrays(float[][] features, float[] labels) => FromJagged(features, labels);

    /// <inheritdoc cref="FromArrays(float[][], float[])"/>
    public static Dataset FromArrays(double[][] features, double[] labels) => FromJagged(features, labels);

    /// <summary>A dataset of an in-memory feature matrix (rows × width, copied) and labels.</summary>
    /// <param name="features">The feature matrix, one row per record.</param>
    /// <param name="labels">One label per record.</param>
    /// <returns>The dataset (unbatched: call <see cref="Batch"/>).</returns>
    /// <exception cref="ArgumentException">The label count differs from the row count, or the matrix has no columns.</exception>
    public static Dataset FromArrays(float[,] features, float[] labels) => FromMatrix(features, labels);

    /// <inheritdoc cref="FromArrays(float[,], float[])"/>
    public static Dataset FromArrays(double[,] features, double[] labels) => FromMatrix(features, labels);

    /// <summary>
    /// A dataset over row-major features (<paramref name="width"/> values per record) and labels that are used in
    /// place, without a copy: do not change them while the dataset is in use.
    /// </summary>
    /// <param name="features">rows × <paramref name="width"/> values, row by row.</param>
    /// <param name="width">Values per record, at least 1.</param>
    /// <param name="labels">One label per record.</param>
    /// <returns>The dataset (unbatched: call <see cref="Batch"/>).</returns>
    /// <exception cref="ArgumentException">The feature count is not <paramref name="width"/> times the label count.</exception>
    public static Dataset FromArrays(ReadOnlyMemory<float> features, int width, ReadOnlyMemory<float> labels)
    {
        CheckShape(features.Length, width, labels.Length);
        return new PipelineDataset(new ArrayRecordSource(new RecordBlock(features, labels, width)), PipelineSpec.Empty);
    }

    /// <inheritdoc cref="FromArrays(ReadOnlyMemory{float}, int, ReadOnlyMemory{float})"/>
    public static Dataset FromArrays(ReadOnlyMemory<double> features, int width, ReadOnlyMemory<double> labels)
    {
        CheckShape(features.Length, width, labels.Length);
        return new PipelineDataset(new ArrayRecordSource(new RecordBlock(features, labels, width)), PipelineSpec.Empty);
    }

    private static PipelineDataset FromJagged<T>(T[][] features, T[] labels)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.Length == 0)
        {
            throw new ArgumentException("There are no feature rows, so the feature width is unknown; use the ReadOnlyMemory overload with an explicit width for an empty dataset.", nameof(features));
        }

        var width = features[0]?.Length ?? 0;
        if (width == 0)
        {
            throw new ArgumentException("Feature row 0 is null or empty; every record needs at least one feature.", nameof(features));
        }

        if (labels.Length != features.Length)
        {
            throw new ArgumentException($"There are {features.Length} feature rows but {labels.Length} labels; each record needs exactly one label.", nameof(labels));
        }

        var matrix = new T[checked(features.Length * width)];
        for (var r = 0; r < features.Length; r++)
        {
            var row = features[r];
            if (row is null || row.Length != width)
            {
                throw new ArgumentException($"Feature row {r} has {(row is null ? "no values (null)" : row.Length + " values")} but row 0 has {width}; every record needs the same number of features.", nameof(features));
            }

            row.CopyTo(matrix, r * width);
        }

        return Create(matrix, (T[])labels.Clone(), width);
    }

    private static PipelineDataset FromMatrix<T>(T[,] features, T[] labels)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        var rows = features.GetLength(0);
        var width = features.GetLength(1);
        if (width == 0)
        {
            throw new ArgumentException("The feature matrix has no columns; every record needs at least one feature.", nameof(features));
        }

        if (labels.Length != rows)
        {
            throw new ArgumentException($"The feature matrix has {rows} rows but there are {labels.Length} labels; each record needs exactly one label.", nameof(labels));
        }

        var matrix = new T[features.Length];
        System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(
            ref System.Runtime.CompilerServices.Unsafe.As<byte, T>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(features)),
            features.Length).CopyTo(matrix);
        return Create(matrix, (T[])labels.Clone(), width);
    }

    private static PipelineDataset Create<T>(T[] matrix, T[] labels, int width)
        where T : unmanaged
    {
        var block = typeof(T) == typeof(float)
            ? new RecordBlock((float[])(object)matrix, (float[])(object)labels, width)
            : new RecordBlock((double[])(object)matrix, (double[])(object)labels, width);
        return new PipelineDataset(new ArrayRecordSource(block), PipelineSpec.Empty);
    }

    private static void CheckShape(int featureCount, int width, int labelCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if ((long)labelCount * width != featureCount)
        {
            throw new ArgumentException(
                $"There are {featureCount} feature values for {labelCount} labels at width {width}; row-major features need exactly labels × width = {(long)labelCount * width} values.",
                "features");
        }
    }
}
