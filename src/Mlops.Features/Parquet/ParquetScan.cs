using System.Runtime.CompilerServices;
using Apache.Arrow;
using Mlops.Features.IO;
using Mlops.Storage;
using Parquet;

namespace Mlops.Features.Parquet;

/// <summary>
/// Plans a Parquet read from the footers alone: which files, which columns, the Arrow schema, and one
/// partition per row group. Nothing else is read until an action runs.
/// </summary>
internal static class ParquetScan
{
    // Frames made by Read, with their path and files, so ParquetDenseReader.TryOpen can take the dense path for them.
    private static readonly ConditionalWeakTable<Frame, ScanFiles> Scans = new();

    /// <summary>Whether <paramref name="frame"/> came straight from <see cref="Read"/>, and if so its path and files.</summary>
    public static bool TryGetScan(Frame frame, out string path, out IReadOnlyList<StorageLocation> files)
    {
        if (Scans.TryGetValue(frame, out var scan))
        {
            (path, files) = (scan.Path, scan.Files);
            return true;
        }

        (path, files) = (string.Empty, []);
        return false;
    }

    public static Frame Read(string path, ParquetReadOptions? options, StorageResolver resolver)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new ParquetReadOptions();
        var files = SourceFiles.Expand(path, options.Resolver ?? resolver, ".parquet");
        var footers = ReadFooters(files);

        var first = footers[0];
        var names = options.Columns?.ToArray() ?? first.Columns.Select(c => c.Name).ToArray();
        RequireDistinct(names);
        var perFile = new ParquetColumnPlan[footers.Length][];
        var nullable = new bool[names.Length];
        for (var f = 0; f < footers.Length; f++)
        {
            perFile[f] = new ParquetColumnPlan[names.Length];
            for (var c = 0; c < names.Length; c++)
            {
                var plan = Find(footers[f], names[c], first);
                if (plan.Kind == ParquetColumnKind.Unsupported)
                {
                    throw new DataFormatException(
                        $"Parquet type {plan.ParquetTypeName} is not supported. Supported: boolean, int8-64 (signed and unsigned), float, double, string, date, timestamp and list<double>; leave the column out with ParquetReadOptions.Columns.",
                        footers[f].Location.ToString(),
                        column: names[c]);
                }

                var expected = perFile[0][c];
                if (f > 0 && !SchemaChecks.SameType(expected.ArrowField!.DataType, plan.ArrowField!.DataType))
                {
                    throw new DataFormatException(
                        $"The column has type {FrameText.TypeName(plan.ArrowField.DataType)} ({plan.ParquetTypeName}) here but {FrameText.TypeName(expected.ArrowField.DataType)} in {first.Location}; all files read together must share a schema.",
                        footers[f].Location.ToString(),
                        column: names[c]);
                }

                perFile[f][c] = plan;
                nullable[c] |= plan.ArrowField!.IsNullable;
            }
        }

        var fields = perFile[0].Select((p, c) => new Field(p.Name, p.ArrowField!.DataType, nullable[c])).ToArray();
        var schema = ParquetArrowMetadata.Apply(fields, first.CustomMetadata);
        var partitions = new List<FramePartition>();
        long total = 0;
        for (var f = 0; f < footers.Length; f++)
        {
            var footer = footers[f];
            var columns = perFile[f];
            for (var g = 0; g < footer.RowGroupRows.Length; g++)
            {
                var rowGroup = g;
                if (footer.RowGroupRows[g] > 0)
                {
                    partitions.Add(ct => ParquetRowGroupSource.Read(footer.Location, rowGroup, schema, columns, ct));
                    total += footer.RowGroupRows[g];
                }
            }
        }

        var frame = Frame.FromPartitions(schema, partitions, total, rowCountIsExact: true);
        Scans.AddOrUpdate(frame, new ScanFiles(path, files));
        return frame;
    }

    private sealed record ScanFiles(string Path, IReadOnlyList<StorageLocation> Files);

    /// <summary>Reads the footers in parallel (remote stores pay a round trip each); the first failing file in path order is reported.</summary>
    private static ParquetFooter[] ReadFooters(IReadOnlyList<StorageLocation> files)
    {
        var footers = new ParquetFooter[files.Count];
        var failures = new Exception?[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(8, Environment.ProcessorCount * 2) }, i =>
        {
            try
            {
                footers[i] = ParquetFooter.Read(files[i]);
            }
            catch (Exception e)
            {
                failures[i] = e;
            }
        });
        var failure = failures.FirstOrDefault(e => e is not null);
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return footers;
    }

    private static ParquetColumnPlan Find(ParquetFooter footer, string name, ParquetFooter first)
    {
        foreach (var column in footer.Columns)
        {
            if (column.Name == name)
            {
                return column;
            }
        }

        if (ReferenceEquals(footer, first))
        {
            throw new SchemaException($"Cannot read column '{name}' from {footer.Location}: it does not exist. Columns: {string.Join(", ", footer.Columns.Select(c => c.Name))}.");
        }

        throw new DataFormatException($"The column is missing here but present in {first.Location}; all files read together must share a schema.", footer.Location.ToString(), column: name);
    }

    private static void RequireDistinct(string[] names)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(ParquetReadOptions.Columns));
            if (!seen.Add(name))
            {
                throw new ArgumentException($"Column '{name}' is listed twice in ParquetReadOptions.Columns.", nameof(ParquetReadOptions.Columns));
            }
        }
    }
}

/// <summary>What planning needs from one file's footer.</summary>
internal sealed record ParquetFooter(StorageLocation Location, ParquetColumnPlan[] Columns, long[] RowGroupRows, IReadOnlyDictionary<string, string> CustomMetadata)
{
    public static ParquetFooter Read(StorageLocation location)
    {
        try
        {
            using var stream = new BlockingReadStream(location.Store.OpenRead(location.Path));
            return ReadAsync(location, stream).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not MlopsException and not OperationCanceledException)
        {
            throw new DataFormatException($"Not a readable Parquet file ({e.Message}).", location.ToString(), innerException: e);
        }
    }

    private static async ValueTask<ParquetFooter> ReadAsync(StorageLocation location, Stream stream)
    {
        await using var reader = await ParquetReader.CreateAsync(stream, ParquetRowGroupSource.ReaderOptions, leaveStreamOpen: true).ConfigureAwait(false);
        ParquetIntegrity.CheckFooter(reader.Metadata!, stream.Length, location.ToString());
        var columns = ParquetSchemaReader.Plan(reader.Schema);
        var rows = reader.Metadata!.RowGroups.Select(g => g.NumRows).ToArray();
        return new ParquetFooter(location, columns, rows, new Dictionary<string, string>(reader.CustomMetadata, StringComparer.Ordinal));
    }
}
