using Mlops.Storage;

namespace Mlops.Features.Parquet;

/// <summary>What reading one Parquet file needs, planned from its footer: the columns and the row groups' sizes.</summary>
internal sealed class ParquetDenseFile
{
    public ParquetDenseFile(StorageLocation location, DenseVectorColumn? vector, DenseScalarColumn[] scalars, DenseScalarColumn label, long[] rowGroupRows, long[] vectorValues, bool[] mayHoldNulls)
    {
        Location = location;
        Name = location.ToString();
        Vector = vector;
        Scalars = scalars;
        Label = label;
        RowGroupRows = rowGroupRows;
        VectorValues = vectorValues;
        MayHoldNulls = mayHoldNulls;
        RowGroupFirstRow = new long[rowGroupRows.Length];
        long first = 0;
        for (var g = 0; g < rowGroupRows.Length; g++)
        {
            RowGroupFirstRow[g] = first;
            first += rowGroupRows[g];
        }

        Rows = first;
    }

    public StorageLocation Location { get; }

    /// <summary>The file as messages name it.</summary>
    public string Name { get; }

    /// <summary>The vector feature column, or null when the features are scalar columns.</summary>
    public DenseVectorColumn? Vector { get; }

    /// <summary>The scalar feature columns, in order (empty with a vector column).</summary>
    public DenseScalarColumn[] Scalars { get; }

    public DenseScalarColumn Label { get; }

    public long[] RowGroupRows { get; }

    /// <summary>The first row of each row group within the file, for messages.</summary>
    public long[] RowGroupFirstRow { get; }

    /// <summary>Per row group, the leaf values the footer counts in the vector column (rows × width when every vector is complete).</summary>
    public long[] VectorValues { get; }

    /// <summary>Per row group, whether column statistics report nulls in a column the dataset reads.</summary>
    public bool[] MayHoldNulls { get; }

    public long Rows { get; }
}
