using Mlops.Features.Parquet;

namespace Mlops.Features;

public sealed partial class Frame
{
    /// <summary>
    /// Reads Parquet lazily: a single file (of any name), a folder of part files (hidden <c>_*</c>/<c>.*</c>
    /// entries skipped), or a glob, on any store the resolver knows. Only the footers are read now; each row
    /// group becomes one partition, decoded when an action runs, and only the projected columns are decoded.
    /// </summary>
    /// <remarks>
    /// Types: boolean, int8-64 and uint8-64, float, double, string (UTF8/ENUM/JSON byte arrays), date (as
    /// <c>date32</c>), timestamp in millis, micros, nanos or legacy INT96 (all as <c>timestamp[us, UTC]</c>),
    /// and LIST of DOUBLE (as <c>list&lt;double&gt;</c>). Nullability follows the Parquet schema. Field metadata
    /// written by <see cref="WriteParquet"/> is restored.
    /// </remarks>
    /// <param name="path">A file, folder or glob (local path, <c>file://</c> or a blob URI).</param>
    /// <param name="options">Projection and store resolution.</param>
    /// <exception cref="Mlops.Storage.BlobNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="DataFormatException">A file is not Parquet, the files' schemas differ, or a projected column's type is unsupported; the message names the file and column.</exception>
    /// <exception cref="SchemaException">A projected column does not exist; the message lists those that do.</exception>
    public static Frame ReadParquet(string path, ParquetReadOptions? options = null) => FrameSession.Default.ReadParquet(path, options);

    /// <summary>
    /// Writes the frame as a folder of Parquet part files (<c>part-00000-&lt;job&gt;-c000.snappy.parquet</c>, ...)
    /// plus a <c>_SUCCESS</c> marker, like Spark. Partitions are streamed through up to
    /// <see cref="ParquetWriteOptions.DegreeOfParallelism"/> workers, each appending row groups to its own part
    /// file, so K workers produce about K files (more with <see cref="ParquetWriteOptions.MaxRowsPerFile"/>).
    /// </summary>
    /// <remarks>
    /// The commit is atomic: files are written under a hidden sibling folder and published with one move;
    /// on any failure (an encoding error, an exception from an upstream partition, cancellation) that folder
    /// is deleted and the destination is left exactly as it was. Rows keep their order within a partition;
    /// files hold partitions in the order their worker took them. Arrow field and schema metadata is stored
    /// in the files' key-value metadata and restored by <see cref="ReadParquet"/>.
    /// <para>Blocks the calling thread until the files are published; there is no <c>Async</c> twin, because the
    /// write is dominated by computing the frame's partitions and encoding them on the writer's worker threads, which
    /// a twin could only wrap in <c>Task.Run</c>. Off a UI or request thread:
    /// <c>await Task.Run(() => frame.WriteParquet(path, options, ct), ct)</c>.</para>
    /// </remarks>
    /// <param name="path">The output folder (local path, <c>file://</c> or a blob URI).</param>
    /// <param name="options">Codec, row group size, save mode and parallelism; a null resolver or degree of parallelism takes the frame's <see cref="Session"/>'s.</param>
    /// <param name="cancellationToken">Cancels the write; nothing is published.</param>
    /// <returns>The files written, row and byte counts, and the elapsed time.</returns>
    /// <exception cref="Mlops.Storage.BlobAlreadyExistsException">The destination exists and the mode is <see cref="SaveMode.ErrorIfExists"/>.</exception>
    /// <exception cref="SchemaException">A column's Arrow type cannot be written to Parquet.</exception>
    public ParquetWriteResult WriteParquet(string path, ParquetWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        ParquetWriteJob.Run(this, path, options, cancellationToken);
}
