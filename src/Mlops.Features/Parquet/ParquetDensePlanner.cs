using Mlops.Storage;

namespace Mlops.Features.Parquet;

/// <summary>
/// Plans a dense read from the footers: the columns of every file, the feature width, and a check of every row
/// group's value counts and null statistics. A row group whose footer already shows a problem is decoded, so the
/// error names the row.
/// </summary>
internal static class ParquetDensePlanner
{
    /// <summary>Plans the columns of every file from its footer (in parallel: remote stores pay a round trip each) and checks them.</summary>
    public static (ParquetDenseFile[] Files, int Width) Plan(string path, IReadOnlyList<StorageLocation> locations, string? vectorColumn, IReadOnlyList<string> scalarColumns, string labelColumn, CancellationToken cancellationToken)
    {
        var files = new ParquetDenseFile[locations.Count];
        var failures = new Exception?[locations.Count];
        Parallel.For(0, locations.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(8, Environment.ProcessorCount * 2), CancellationToken = cancellationToken }, i =>
        {
            try
            {
                files[i] = PlanFile(locations[i], vectorColumn, scalarColumns, labelColumn, cancellationToken);
            }
            catch (Exception e)
            {
                failures[i] = e;
            }
        });
        if (failures.FirstOrDefault(e => e is not null) is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        var width = FeatureWidthOf(path, files, cancellationToken);
        CheckFooters(files, width, cancellationToken);
        return (files, width);
    }

    private static ParquetDenseFile PlanFile(StorageLocation location, string? vectorColumn, IReadOnlyList<string> scalarColumns, string labelColumn, CancellationToken cancellationToken)
    {
        using var file = ParquetDenseReader.OpenFile(location, cancellationToken);
        var reader = file.Reader;
        var schema = reader.Schema;
        var name = location.ToString();

        global::Parquet.Schema.Field Require(string column, string role)
        {
            return ParquetDenseColumns.Find(schema, column)
                ?? throw new SchemaException($"{name}: the {role} column '{column}' does not exist. Columns: {ParquetDenseColumns.ListColumns(schema)}. Pass the right column name.");
        }

        DenseVectorColumn? vector = null;
        var scalars = new DenseScalarColumn[vectorColumn is null ? scalarColumns.Count : 0];
        if (vectorColumn is not null)
        {
            var field = Require(vectorColumn, "features");
            vector = ParquetDenseColumns.TryVector(field);
            if (vector is null)
            {
                // A single numeric column is a vector of width 1.
                scalars = [ParquetDenseColumns.TryScalar(field) ?? throw Unsupported(field, "features", "a list of double or float (as VectorAssembler writes), or a numeric column")];
            }
        }
        else
        {
            for (var j = 0; j < scalarColumns.Count; j++)
            {
                var field = Require(scalarColumns[j], "feature");
                scalars[j] = ParquetDenseColumns.TryScalar(field) ?? throw Unsupported(field, "feature", "a numeric or boolean column");
            }
        }

        var labelField = Require(labelColumn, "label");
        var label = ParquetDenseColumns.TryScalar(labelField) ?? throw Unsupported(labelField, "label", "a numeric or boolean column");

        var groups = reader.RowGroupCount;
        var rows = new long[groups];
        var vectorValues = new long[groups];
        var mayHoldNulls = new bool[groups];
        for (var g = 0; g < groups; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            rows[g] = group.RowCount;
            if (vector is not null)
            {
                var chunk = group.GetMetadata(vector.Leaf)?.MetaData;
                vectorValues[g] = chunk?.NumValues ?? 0;
                mayHoldNulls[g] |= chunk?.Statistics?.NullCount > 0;
            }

            foreach (var column in scalars.Append(label))
            {
                mayHoldNulls[g] |= group.GetMetadata(column.Field)?.MetaData?.Statistics?.NullCount > 0;
            }
        }

        return new ParquetDenseFile(location, vector, scalars, label, rows, vectorValues, mayHoldNulls);

        DataFormatException Unsupported(global::Parquet.Schema.Field field, string role, string wanted) =>
            new($"The {role} column has type {ParquetDenseColumns.Describe(field)}; it must be {wanted}.", name, column: field.Name);
    }

    /// <summary>The number of scalar feature columns, or the width of the vectors; every file must store the features the same way.</summary>
    private static int FeatureWidthOf(string path, ParquetDenseFile[] files, CancellationToken cancellationToken)
    {
        var first = files[0];
        foreach (var file in files)
        {
            if ((file.Vector is null) != (first.Vector is null))
            {
                throw new DataFormatException(
                    $"The features are {(file.Vector is null ? "a scalar column" : "a vector column")} here but {(first.Vector is null ? "a scalar column" : "a vector column")} in {first.Name}; all files read together must share a schema.",
                    file.Name,
                    column: file.Vector?.Name ?? file.Scalars[0].Name);
            }
        }

        return first.Vector is null ? first.Scalars.Length : VectorWidth(path, files, cancellationToken);
    }

    /// <summary>The vector width: from the first non-empty row group's footer when it divides evenly, else from its first row.</summary>
    private static int VectorWidth(string path, ParquetDenseFile[] files, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            for (var g = 0; g < file.RowGroupRows.Length; g++)
            {
                var rows = file.RowGroupRows[g];
                if (rows == 0)
                {
                    continue;
                }

                var values = file.VectorValues[g];
                if (values % rows == 0 && values / rows is > 0 and <= int.MaxValue)
                {
                    return (int)(values / rows);
                }

                // The footer already shows unequal vectors: decode the group and report the first bad row against row 0's width.
                using var open = ParquetDenseReader.OpenFile(file.Location, cancellationToken);
                var width = ParquetDenseDecoder.FirstVectorLength(open.Reader, file, g, cancellationToken);
                ParquetDenseDecoder.CheckVectors(open.Reader, file, g, width, cancellationToken);
                return width;
            }
        }

        throw new DataFormatException("The dataset has no rows, so its feature width is unknown.", path);
    }

    /// <summary>Checks every row group's footer against the width and null statistics; a group that disagrees is decoded to name the row.</summary>
    private static void CheckFooters(ParquetDenseFile[] files, int width, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            ParquetDenseReader.OpenParquetFile? open = null;
            try
            {
                for (var g = 0; g < file.RowGroupRows.Length; g++)
                {
                    var badWidth = file.Vector is not null && file.RowGroupRows[g] > 0 && file.VectorValues[g] != file.RowGroupRows[g] * width;
                    if (!badWidth && !file.MayHoldNulls[g])
                    {
                        continue;
                    }

                    open ??= ParquetDenseReader.OpenFile(file.Location, cancellationToken);
                    if (file.Vector is not null)
                    {
                        ParquetDenseDecoder.CheckVectors(open.Reader, file, g, width, cancellationToken);
                    }

                    ParquetDenseDecoder.CheckScalars(open.Reader, file, g, cancellationToken);
                }
            }
            finally
            {
                open?.Dispose();
            }
        }
    }
}
