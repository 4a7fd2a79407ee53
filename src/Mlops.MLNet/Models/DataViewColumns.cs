using Microsoft.ML;
using Microsoft.ML.Data;
using Mlops.Tracking;
using Mlops.Tracking.Models;

namespace Mlops.MLNet;

/// <summary>Reads the visible columns of an ML.NET <see cref="IDataView"/> into arrays (the output side of <see cref="IColumnPredictor.Predict"/>).</summary>
internal static class DataViewColumns
{
    public static Dictionary<string, Array> Read(IDataView view, ISet<string> skip)
    {
        var columns = view.Schema.Where(c => !c.IsHidden && !skip.Contains(c.Name) && IsSupported(c.Type)).ToList();
        var lists = columns.Select(c => NewList(c.Type)).ToArray();
        using var cursor = view.GetRowCursor(columns);
        var readers = columns.Select((c, i) => Reader(cursor, c, lists[i])).ToArray();
        while (cursor.MoveNext())
        {
            foreach (var read in readers)
            {
                read();
            }
        }

        var result = new Dictionary<string, Array>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            result[columns[i].Name] = ToArray(lists[i]);
        }

        return result;
    }

    private static bool IsSupported(DataViewType type) => type switch
    {
        VectorDataViewType vector => vector.ItemType == NumberDataViewType.Single,
        KeyDataViewType => true,
        _ => type == NumberDataViewType.Single || type == NumberDataViewType.Double || type == NumberDataViewType.Int32
             || type == NumberDataViewType.Int64 || type == BooleanDataViewType.Instance || type == TextDataViewType.Instance,
    };

    private static System.Collections.IList NewList(DataViewType type) => type switch
    {
        VectorDataViewType => new List<float[]>(),
        KeyDataViewType => new List<uint>(),
        _ when type == NumberDataViewType.Single => new List<float>(),
        _ when type == NumberDataViewType.Double => new List<double>(),
        _ when type == NumberDataViewType.Int32 => new List<int>(),
        _ when type == NumberDataViewType.Int64 => new List<long>(),
        _ when type == BooleanDataViewType.Instance => new List<bool>(),
        _ => new List<string>(),
    };

    private static Action Reader(DataViewRowCursor cursor, DataViewSchema.Column column, System.Collections.IList list)
    {
        switch (list)
        {
            case List<float[]> vectors:
                var vectorGetter = cursor.GetGetter<VBuffer<float>>(column);
                return () =>
                {
                    VBuffer<float> value = default;
                    vectorGetter(ref value);
                    vectors.Add(value.DenseValues().ToArray());
                };
            case List<string> texts:
                var textGetter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
                return () =>
                {
                    ReadOnlyMemory<char> value = default;
                    textGetter(ref value);
                    texts.Add(value.ToString());
                };
            case List<float> floats:
                return Scalar(cursor.GetGetter<float>(column), floats);
            case List<double> doubles:
                return Scalar(cursor.GetGetter<double>(column), doubles);
            case List<int> ints:
                return Scalar(cursor.GetGetter<int>(column), ints);
            case List<long> longs:
                return Scalar(cursor.GetGetter<long>(column), longs);
            case List<bool> bools:
                return Scalar(cursor.GetGetter<bool>(column), bools);
            case List<uint> keys:
                return Scalar(cursor.GetGetter<uint>(column), keys);
            default:
                throw new InvalidOperationException("Unsupported output column.");
        }

        static Action Scalar<T>(ValueGetter<T> getter, List<T> target) => () =>
        {
            T value = default!;
            getter(ref value);
            target.Add(value);
        };
    }

    private static Array ToArray(System.Collections.IList list)
    {
        var array = Array.CreateInstance(list.GetType().GetGenericArguments()[0], list.Count);
        list.CopyTo(array, 0);
        return array;
    }
}
