using Apache.Arrow;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>
/// Boolean kernels with SQL's three-valued logic (false AND null is false, true OR null is true, otherwise
/// null taints the result), and the null and NaN tests, which are never null.
/// </summary>
internal static class LogicalKernels
{
    public static BooleanArray And(IArrowArray left, IArrowArray right) => Combine(left, right, isAnd: true);

    public static BooleanArray Or(IArrowArray left, IArrowArray right) => Combine(left, right, isAnd: false);

    public static BooleanArray Not(IArrowArray operand)
    {
        var length = operand.Length;
        var bits = new byte[(length + 7) >> 3];
        var values = Values(operand);
        for (var i = 0; i < length; i++)
        {
            if (!ArrowArrays.IsValid(values, operand.Offset, i))
            {
                ArrayFactory.Set(bits, i);
            }
        }

        return ArrayFactory.Boolean(bits, ArrayFactory.AndValidity(length, operand), length);
    }

    public static BooleanArray IsNull(IArrowArray operand, bool negate)
    {
        var length = operand.Length;
        var validity = ArrayFactory.AndValidity(length, operand);
        var bits = new byte[(length + 7) >> 3];
        for (var i = 0; i < length; i++)
        {
            var isNull = validity is not null && !ArrayFactory.Get(validity, i);
            if (isNull != negate)
            {
                ArrayFactory.Set(bits, i);
            }
        }

        return ArrayFactory.Boolean(bits, null, length);
    }

    /// <summary>True where the value is NaN; false for nulls and for types without NaN (as Spark's <c>isnan</c>).</summary>
    public static BooleanArray IsNaN(IArrowArray operand)
    {
        var length = operand.Length;
        var bits = new byte[(length + 7) >> 3];
        var validity = ArrayFactory.AndValidity(length, operand);
        switch (operand)
        {
            case PrimitiveArray<double> a:
                var d = a.Values;
                for (var i = 0; i < length; i++)
                {
                    if (double.IsNaN(d[i]) && (validity is null || ArrayFactory.Get(validity, i)))
                    {
                        ArrayFactory.Set(bits, i);
                    }
                }

                break;
            case PrimitiveArray<float> a:
                var f = a.Values;
                for (var i = 0; i < length; i++)
                {
                    if (float.IsNaN(f[i]) && (validity is null || ArrayFactory.Get(validity, i)))
                    {
                        ArrayFactory.Set(bits, i);
                    }
                }

                break;
        }

        return ArrayFactory.Boolean(bits, null, length);
    }

    private static BooleanArray Combine(IArrowArray left, IArrowArray right, bool isAnd)
    {
        var length = left.Length;
        var leftValues = Values(left);
        var rightValues = Values(right);
        var leftValidity = ArrayFactory.AndValidity(length, left);
        var rightValidity = ArrayFactory.AndValidity(length, right);
        var bits = new byte[(length + 7) >> 3];
        if (leftValidity is null && rightValidity is null && (left.Offset & 7) == 0 && (right.Offset & 7) == 0)
        {
            // No nulls: plain bytewise AND / OR.
            var l = leftValues.Slice(left.Offset >> 3, bits.Length);
            var r = rightValues.Slice(right.Offset >> 3, bits.Length);
            for (var i = 0; i < bits.Length; i++)
            {
                bits[i] = (byte)(isAnd ? l[i] & r[i] : l[i] | r[i]);
            }

            return ArrayFactory.Boolean(bits, null, length);
        }

        byte[]? validity = null;
        for (var i = 0; i < length; i++)
        {
            var lKnown = leftValidity is null || ArrayFactory.Get(leftValidity, i);
            var rKnown = rightValidity is null || ArrayFactory.Get(rightValidity, i);
            var l = lKnown && ArrowArrays.IsValid(leftValues, left.Offset, i);
            var r = rKnown && ArrowArrays.IsValid(rightValues, right.Offset, i);

            // The dominant value (false for AND, true for OR) decides even when the other side is null.
            var dominant = !isAnd;
            bool known;
            bool value;
            if ((lKnown && l == dominant) || (rKnown && r == dominant))
            {
                known = true;
                value = dominant;
            }
            else
            {
                known = lKnown && rKnown;
                value = !dominant;
            }

            if (!known)
            {
                (validity ??= ArrayFactory.AllSet(length))[i >> 3] &= (byte)~(1 << (i & 7));
            }
            else if (value)
            {
                ArrayFactory.Set(bits, i);
            }
        }

        return ArrayFactory.Boolean(bits, validity, length);
    }

    // The value bits of a boolean array; a NullArray (null literal) has none, and every row is null anyway.
    private static ReadOnlySpan<byte> Values(IArrowArray array) =>
        array is BooleanArray b ? b.ValueBuffer.Span : new byte[(array.Length + 7 + array.Offset) >> 3];
}
