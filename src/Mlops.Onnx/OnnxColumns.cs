using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Mlops.Onnx;

/// <summary>
/// Columns (one element per row: a value, or a row vector) to ONNX tensors whose first dimension is the row, and back.
/// Every mistake names the graph input and says what it takes.
/// </summary>
internal static class OnnxColumns
{
    /// <summary>The input column as a tensor for <paramref name="input"/>, and its row count.</summary>
    public static (OrtValue Value, long Rows) ToTensor(OnnxTensorInfo input, TensorElementType type, Array column)
    {
        if (!input.IsTensor)
        {
            throw new ArgumentException($"Input '{input.Name}' is not a tensor (a sequence, map or optional); columns feed tensor inputs only.");
        }

        if (input.Shape.Count is not (1 or 2))
        {
            throw new ArgumentException($"Input '{input.Name}' is a rank-{input.Shape.Count} tensor [{Dims(input.Shape)}]; columns feed rank-1 [rows] or rank-2 [rows, width] inputs only.");
        }

        return type switch
        {
            TensorElementType.Float => column switch
            {
                float[] v => Vector(input, v),
                float[][] v => Matrix(input, v),
                double[] v => Vector(input, Array.ConvertAll(v, x => (float)x)),
                double[][] v => Matrix(input, Convert(v, x => (float)x)),
                _ => throw WrongType(input, column, "float[] or float[][] (double[] and double[][] are narrowed)"),
            },
            TensorElementType.Double => column switch
            {
                double[] v => Vector(input, v),
                double[][] v => Matrix(input, v),
                float[] v => Vector(input, Array.ConvertAll(v, x => (double)x)),
                float[][] v => Matrix(input, Convert(v, x => (double)x)),
                _ => throw WrongType(input, column, "double[] or double[][] (float[] and float[][] are widened)"),
            },
            TensorElementType.Int64 => column switch
            {
                long[] v => Vector(input, v),
                long[][] v => Matrix(input, v),
                int[] v => Vector(input, Array.ConvertAll(v, x => (long)x)),
                int[][] v => Matrix(input, Convert(v, x => (long)x)),
                _ => throw WrongType(input, column, "long[] or long[][] (int[] and int[][] are widened)"),
            },
            TensorElementType.Int32 => column switch
            {
                int[] v => Vector(input, v),
                int[][] v => Matrix(input, v),
                _ => throw WrongType(input, column, "int[] or int[][]"),
            },
            TensorElementType.Bool => column switch
            {
                bool[] v => Vector(input, v),
                bool[][] v => Matrix(input, v),
                _ => throw WrongType(input, column, "bool[] or bool[][]"),
            },
            TensorElementType.String => column switch
            {
                string[] v => Strings(input, v, Shape(input, v.Length, null)),
                string[][] v => Strings(input, Flatten(input, v, out var width), Shape(input, v.Length, width)),
                _ => throw WrongType(input, column, "string[] or string[][]"),
            },
            _ => throw new ArgumentException($"Input '{input.Name}' is a {input.DType ?? type.ToString()} tensor, which columns cannot feed (float32, float64, int64, int32, bool and str inputs can)."),
        };
    }

    /// <summary>An output tensor as a column: rank 1 as <c>T[]</c>, rank 2 and more as <c>T[][]</c> (each row's values flattened).</summary>
    public static Array ToColumn(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        return info.ElementDataType switch
        {
            TensorElementType.Float => Column<float>(value, shape),
            TensorElementType.Double => Column<double>(value, shape),
            TensorElementType.Int64 => Column<long>(value, shape),
            TensorElementType.Int32 => Column<int>(value, shape),
            TensorElementType.Bool => Column<bool>(value, shape),
            TensorElementType.String => Rows(value.GetStringTensorAsArray(), shape),
            var other => throw new NotSupportedException($"Output '{name}' is a {OnnxTensorInfo.DTypeOf(other) ?? other.ToString()} tensor; columns carry float32, float64, int64, int32, bool and str outputs."),
        };
    }

    private static (OrtValue, long) Vector<T>(OnnxTensorInfo input, T[] values)
        where T : unmanaged => (OrtValue.CreateTensorValueFromMemory(values, Shape(input, values.Length, null)), values.Length);

    private static (OrtValue, long) Matrix<T>(OnnxTensorInfo input, T[][] rows)
        where T : unmanaged
    {
        var flat = Flatten(input, rows, out var width);
        return (OrtValue.CreateTensorValueFromMemory(flat, Shape(input, rows.Length, width)), rows.Length);
    }

    private static (OrtValue, long) Strings(OnnxTensorInfo input, string[] values, long[] shape)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is null)
            {
                throw new ArgumentException($"Input '{input.Name}', element {i}: null; a str tensor holds strings.");
            }
        }

        return (OrtValue.CreateFromStringTensor(new DenseTensor<string>(values, shape.Select(d => (int)d).ToArray())), shape[0]);
    }

    private static T[] Flatten<T>(OnnxTensorInfo input, T[][] rows, out long width)
    {
        width = input.Shape.Count == 2 && input.Shape[1] >= 0 ? input.Shape[1] : rows.Length > 0 && rows[0] is not null ? rows[0].Length : 0;
        var flat = new T[checked(rows.Length * (int)width)];
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i] is null || rows[i].Length != width)
            {
                throw new ArgumentException($"Input '{input.Name}', row {i}: the input takes {width} values per row ([{Dims(input.Shape)}]); got {rows[i]?.Length.ToString(CultureInfo.InvariantCulture) ?? "null"}.");
            }

            rows[i].CopyTo(flat, i * (int)width);
        }

        return flat;
    }

    // [rows] for a rank-1 input; [rows, width] for rank 2 (a 1-D column feeds a rank-2 input of width 1).
    private static long[] Shape(OnnxTensorInfo input, long rows, long? width)
    {
        if (rows == 0)
        {
            throw new ArgumentException($"Input '{input.Name}' has no rows.");
        }

        if (input.Shape[0] >= 0 && input.Shape[0] != rows)
        {
            throw new ArgumentException($"Input '{input.Name}' takes exactly {input.Shape[0]} rows ([{Dims(input.Shape)}]); got {rows}.");
        }

        if (input.Shape.Count == 1)
        {
            return width is null
                ? [rows]
                : throw new ArgumentException($"Input '{input.Name}' is rank 1 ([{Dims(input.Shape)}]): pass one value per row (T[]), not row vectors.");
        }

        if (width is null && input.Shape[1] is not (1 or -1))
        {
            throw new ArgumentException($"Input '{input.Name}' takes rows of {input.Shape[1]} values ([{Dims(input.Shape)}]): pass row vectors (T[][]), not one value per row.");
        }

        return [rows, width ?? 1];
    }

    private static Array Column<T>(OrtValue value, long[] shape)
        where T : unmanaged => Rows(value.GetTensorDataAsSpan<T>().ToArray(), shape);

    private static Array Rows<T>(T[] values, long[] shape)
    {
        if (shape.Length <= 1)
        {
            return values;
        }

        var rows = (int)shape[0];
        var width = rows == 0 ? 0 : values.Length / rows;
        var result = new T[rows][];
        for (var i = 0; i < rows; i++)
        {
            result[i] = values.AsSpan(i * width, width).ToArray();
        }

        return result;
    }

    private static TOut[][] Convert<TIn, TOut>(TIn[][] rows, Func<TIn, TOut> convert) =>
        rows.Select(row => row is null ? null! : Array.ConvertAll(row, x => convert(x))).ToArray();

    private static ArgumentException WrongType(OnnxTensorInfo input, Array column, string expected) =>
        new($"Input '{input.Name}' is a {input.DType} tensor [{Dims(input.Shape)}]; got a {column.GetType().Name} column. Pass {expected}.");

    private static string Dims(IReadOnlyList<long> shape) => string.Join(", ", shape);
}
