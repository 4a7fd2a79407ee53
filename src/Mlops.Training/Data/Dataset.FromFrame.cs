using Mlops.Features;
using Mlops.Training.Data.Pipeline;
using Mlops.Training.Data.Sources;

namespace Mlops.Training.Data;

public abstract partial class Dataset
{
    /// <summary>
    /// A dataset over a frame's rows: the features column (a list of double or float of one width per row, as
    /// VectorAssembler writes, or a single numeric column) and the label column (numeric or boolean).
    /// </summary>
    /// <remarks>
    /// <para>A frame that is a plain <see cref="Frame.ReadParquet"/> scan is read like <see cref="ParquetDataset.Open(string, string, string, ParquetDatasetOptions?)"/>:
    /// through <see cref="ParquetDenseReader"/>, with the row count from the footers and each part file a file for
    /// <see cref="AutoShardPolicy.File"/>. Any other frame (transformed, joined, in memory) streams its record batches
    /// partition by partition, each partition a unit of reading; its partitions' rows are counted once by streaming
    /// the frame the first time the dataset is planned (for <see cref="BatchesPerPass"/> or a read), and it has no
    /// files, so <see cref="AutoShardPolicy.Auto"/> shards it by data.</para>
    /// <para>Errors: a missing column is a <see cref="SchemaException"/> listing the frame's columns; an unsupported
    /// type, a null feature or label, or a vector of another width is a <see cref="DataFormatException"/> naming the
    /// column and the row.</para>
    /// </remarks>
    /// <param name="frame">The frame.</param>
    /// <param name="featuresColumn">The feature column.</param>
    /// <param name="labelColumn">The label column.</param>
    /// <returns>The dataset (unbatched: call <see cref="Batch"/>).</returns>
    /// <exception cref="SchemaException">A column does not exist.</exception>
    /// <exception cref="DataFormatException">A column has an unsupported type, or a row a null or a vector of another width.</exception>
    public static Dataset FromFrame(Frame frame, string featuresColumn = "features", string labelColumn = "label")
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentException.ThrowIfNullOrEmpty(featuresColumn);
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        RecordSource source = ParquetDenseReader.TryOpen(frame, featuresColumn, labelColumn) is { } reader
            ? new ParquetRecordSource(reader, new ParquetDatasetOptions().ReadAheadRowGroups)
            : new FrameRecordSource(frame, featuresColumn, labelColumn);
        return new PipelineDataset(source, PipelineSpec.Empty);
    }
}
