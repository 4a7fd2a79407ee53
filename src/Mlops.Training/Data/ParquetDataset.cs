using Mlops.Features;
using Mlops.Training.Data.Pipeline;
using Mlops.Training.Data.Sources;

namespace Mlops.Training.Data;

/// <summary>
/// Datasets over Parquet files, such as the feature job's output (<c>Frame.WriteParquet</c>: a folder of part files
/// with a <c>features</c> vector column and a label). Opening reads the footers only; row groups are decoded as the
/// dataset is read, so a file much larger than memory streams through (unless <see cref="Dataset.Cache"/> is asked).
/// Decoding is done by <see cref="ParquetDenseReader"/> (Mlops.Features), straight into the batches' arrays;
/// <see cref="Dataset.FromFrame"/> takes the same path for a frame that is a plain Parquet scan.
/// </summary>
/// <remarks>
/// <para>Columns: the features are a list of double or float (one vector per row, all of the same width), a single
/// numeric column, or several scalar numeric or boolean columns; the label is a numeric or boolean column. Values are
/// converted to the element type the reader asks for.</para>
/// <para>Checks: a missing column is reported at <c>Open</c> with the file and the columns that exist; a row whose
/// vector has another width, or a null feature or label, is reported with the file, row group and row — at
/// <c>Open</c> when the footer already reveals it (value counts, null statistics), otherwise when that row group is
/// read. Rows are never skipped silently.</para>
/// <para>Sharding: each part file is a file for <see cref="AutoShardPolicy.File"/>; row groups are the unit of reading
/// and of the file-order shuffle.</para>
/// <para>Opening is synchronous, with no <c>OpenAsync</c>: the footers are read by the one Parquet reader
/// (<see cref="ParquetDenseReader"/>), whose planning is synchronous, so a twin could only wrap <c>Task.Run</c>. Off a
/// UI or request thread, <c>await Task.Run(() => ParquetDataset.Open(path), ct)</c>.</para>
/// </remarks>
public static class ParquetDataset
{
    /// <summary>Opens Parquet data whose features are one vector (list) column, as VectorAssembler writes them.</summary>
    /// <param name="path">A file, a folder of part files (hidden <c>_*</c>/<c>.*</c> entries skipped) or a glob; a local path, <c>file://</c> URI or blob URI.</param>
    /// <param name="featuresColumn">The feature column: a list of double or float, or a single numeric column.</param>
    /// <param name="labelColumn">The label column: numeric or boolean.</param>
    /// <param name="options">Store resolution.</param>
    /// <returns>The dataset (unbatched: call <see cref="Dataset.Batch"/>).</returns>
    /// <exception cref="Mlops.Storage.BlobNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="SchemaException">A column does not exist; the message names the file and lists its columns.</exception>
    /// <exception cref="DataFormatException">A column has an unsupported type, or a row has a vector of another width or a null; the message names the file, row group and row.</exception>
    public static Dataset Open(string path, string featuresColumn = "features", string labelColumn = "label", ParquetDatasetOptions? options = null) =>
        Open(path, featuresColumn, [], labelColumn, options, CancellationToken.None);

    /// <summary>Opens Parquet data whose features are several scalar columns (one value each, in the given order).</summary>
    /// <param name="path">A file, a folder of part files or a glob; a local path, <c>file://</c> URI or blob URI.</param>
    /// <param name="featureColumns">The feature columns, numeric or boolean; at least one.</param>
    /// <param name="labelColumn">The label column: numeric or boolean.</param>
    /// <param name="options">Store resolution.</param>
    /// <returns>The dataset (unbatched: call <see cref="Dataset.Batch"/>).</returns>
    /// <exception cref="Mlops.Storage.BlobNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="SchemaException">A column does not exist; the message names the file and lists its columns.</exception>
    /// <exception cref="DataFormatException">A column has an unsupported type, or a row has a null; the message names the file, row group and row.</exception>
    public static Dataset Open(string path, IReadOnlyList<string> featureColumns, string labelColumn = "label", ParquetDatasetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(featureColumns);
        if (featureColumns.Count == 0)
        {
            throw new ArgumentException("At least one feature column is needed.", nameof(featureColumns));
        }

        return Open(path, null, featureColumns, labelColumn, options, CancellationToken.None);
    }

    private static Dataset Open(string path, string? featuresColumn, IReadOnlyList<string> featureColumns, string labelColumn, ParquetDatasetOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        if (featuresColumn is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(featuresColumn);
        }

        foreach (var column in featureColumns)
        {
            ArgumentException.ThrowIfNullOrEmpty(column, nameof(featureColumns));
        }

        options ??= new ParquetDatasetOptions();
        options.Validate();
        var reader = featuresColumn is not null
            ? ParquetDenseReader.Open(path, featuresColumn, labelColumn, options.Resolver, cancellationToken)
            : ParquetDenseReader.Open(path, featureColumns, labelColumn, options.Resolver, cancellationToken);
        return new PipelineDataset(new ParquetRecordSource(reader, options.ReadAheadRowGroups), PipelineSpec.Empty);
    }
}
