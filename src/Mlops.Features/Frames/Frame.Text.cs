using Mlops.Features.Csv;
using Mlops.Features.Json;

namespace Mlops.Features;

/// <summary>The text readers' entry points: CSV and JSON lines.</summary>
public sealed partial class Frame
{
    /// <summary>
    /// Reads CSV into a lazy frame with one partition per file. Nothing is parsed until an action runs,
    /// except the first record of the first file (for column names) or, with
    /// <see cref="CsvReadOptions.InferSchema"/>, a sample of each file.
    /// </summary>
    /// <param name="path">A file, a folder of part files (names starting with '_' or '.' are skipped) or a glob, on any store the resolver knows. Files ending in ".gz" are decompressed.</param>
    /// <param name="options">Parsing options; Spark's defaults if null.</param>
    /// <exception cref="Mlops.Storage.BlobNotFoundException">Nothing matches <paramref name="path"/>.</exception>
    /// <exception cref="DataFormatException">The schema cannot be found (an empty input with no schema, a malformed header or headers that differ between files). Malformed records are reported when the frame is read, according to <see cref="TextReadOptions.Mode"/>.</exception>
    /// <exception cref="SchemaException">The schema has a column type CSV cannot produce.</exception>
    public static Frame ReadCsv(string path, CsvReadOptions? options = null) => FrameSession.Default.ReadCsv(path, options);

    /// <summary>
    /// Reads CSV with default options, saying whether the files start with a header record, and infers the column
    /// types from a sample (<see cref="CsvReadOptions.InferSchema"/>), so numbers come back as numbers, as a Spark
    /// user passing <c>header</c> and <c>inferSchema</c> expects. For every column a string, pass
    /// <c>new CsvReadOptions { Header = true }</c>.
    /// </summary>
    /// <param name="path">A file, a folder of part files or a glob.</param>
    /// <param name="header">Whether the first record of each file holds the column names.</param>
    public static Frame ReadCsv(string path, bool header) => FrameSession.Default.ReadCsv(path, header);

    /// <summary>
    /// Reads JSON lines (one object per line) into a lazy frame with one partition per file. Without a
    /// schema, one is inferred from a sample of each file (see <see cref="JsonReadOptions"/>).
    /// </summary>
    /// <param name="path">A file, a folder of part files (names starting with '_' or '.' are skipped) or a glob, on any store the resolver knows. Files ending in ".gz" are decompressed.</param>
    /// <param name="options">Parsing options; defaults if null.</param>
    /// <exception cref="Mlops.Storage.BlobNotFoundException">Nothing matches <paramref name="path"/>.</exception>
    /// <exception cref="DataFormatException">The input is empty and no schema was given, or (FailFast) a sampled line is malformed.</exception>
    /// <exception cref="SchemaException">The schema has a column type the JSON reader cannot produce.</exception>
    public static Frame ReadJson(string path, JsonReadOptions? options = null) => FrameSession.Default.ReadJson(path, options);
}
