using System.Numerics;

namespace Mlops.Distributed.Collectives;

/// <summary>Vectorised element-wise reductions over raw memory: <c>destination[i] = op(destination[i], source[i])</c>.</summary>
internal static unsafe class ReductionKernels
{
    public static void Reduce(nint destination, nint source, long count, CollectiveDataType type, ReduceOp op)
    {
        switch (type)
        {
            case CollectiveDataType.Float32:
                Reduce((float*)destination, (float*)source, count, op);
                break;
            case CollectiveDataType.Float64:
                Reduce((double*)destination, (double*)source, count, op);
                break;
            case CollectiveDataType.Int32:
                Reduce((int*)destination, (int*)source, count, op);
                break;
            case CollectiveDataType.Int64:
                Reduce((long*)destination, (long*)source, count, op);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    /// <summary>Divides by <paramref name="divisor"/> in place (the last step of an average).</summary>
    public static void Divide(nint buffer, long count, CollectiveDataType type, int divisor)
    {
        switch (type)
        {
            case CollectiveDataType.Float32:
                Divide((float*)buffer, count, (float)divisor);
                break;
            case CollectiveDataType.Float64:
                Divide((double*)buffer, count, (double)divisor);
                break;
            case CollectiveDataType.Int32:
                Divide((int*)buffer, count, divisor);
                break;
            case CollectiveDataType.Int64:
                Divide((long*)buffer, count, (long)divisor);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    private static void Reduce<T>(T* destination, T* source, long count, ReduceOp op)
        where T : unmanaged, INumber<T>
    {
        long i = 0;
        var width = Vector<T>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + width <= count; i += width)
            {
                var a = Vector.Load(destination + i);
                var b = Vector.Load(source + i);
                var r = op switch
                {
                    ReduceOp.Sum or ReduceOp.Average => a + b,
                    ReduceOp.Product => a * b,
                    ReduceOp.Min => Vector.Min(a, b),
                    _ => Vector.Max(a, b),
                };
                r.Store(destination + i);
            }
        }

        for (; i < count; i++)
        {
            var a = destination[i];
            var b = source[i];
            destination[i] = op switch
            {
                ReduceOp.Sum or ReduceOp.Average => a + b,
                ReduceOp.Product => a * b,
                ReduceOp.Min => b < a ? b : a,
                _ => b > a ? b : a,
            };
        }
    }

    private static void Divide<T>(T* buffer, long count, T divisor)
        where T : unmanaged, INumber<T>
    {
        long i = 0;
        var width = Vector<T>.Count;
        var d = new Vector<T>(divisor);
        for (; i + width <= count; i += width)
        {
            (Vector.Load(buffer + i) / d).Store(buffer + i);
        }

        for (; i < count; i++)
        {
            buffer[i] /= divisor;
        }
    }
}
