using Apache.Arrow;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>Finds the size of vector (<c>list&lt;double&gt;</c>) columns: from their metadata, else from the data.</summary>
internal static class VectorSizes
{
    /// <summary>
    /// The size of each named vector column: the size recorded in its metadata, else the length of its first
    /// non-null value. Reads the frame in order only until every unknown size is found (nothing when all are
    /// recorded). A column with no non-null value at all gets <see langword="null"/>.
    /// </summary>
    public static int?[] Resolve(Frame frame, IReadOnlyList<string> columns, CancellationToken cancellationToken)
    {
        var sizes = new int?[columns.Count];
        var unknown = new List<int>();
        for (var i = 0; i < columns.Count; i++)
        {
            sizes[i] = VectorMetadata.GetSize(frame.Schema.GetFieldByName(columns[i]));
            if (sizes[i] is null)
            {
                unknown.Add(i);
            }
        }

        if (unknown.Count == 0)
        {
            return sizes;
        }

        var indices = unknown.Select(i => frame.Schema.GetFieldIndex(columns[i])).ToArray();
        foreach (var batch in frame.ReadBatches(cancellationToken, degreeOfParallelism: 1))
        {
            for (var u = unknown.Count - 1; u >= 0; u--)
            {
                var list = (ListArray)batch.Column(indices[u]);
                var validity = ArrowArrays.Validity(list);
                var offsets = list.ValueOffsets;
                for (var r = 0; r < list.Length; r++)
                {
                    if (ArrowArrays.IsValid(validity, list.Offset, r))
                    {
                        sizes[unknown[u]] = offsets[r + 1] - offsets[r];
                        unknown.RemoveAt(u);
                        indices = RemoveAt(indices, u);
                        break;
                    }
                }
            }

            if (unknown.Count == 0)
            {
                break;
            }
        }

        return sizes;
    }

    private static int[] RemoveAt(int[] array, int index) => array.Where((_, i) => i != index).ToArray();
}
