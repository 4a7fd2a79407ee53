using System.Numerics;
using Apache.Arrow;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>The comparison operators of column expressions.</summary>
internal enum ComparisonOperator
{
    Equal,
    NotEqual,
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
    EqualNullSafe,
}

/// <summary>
/// Vectorised comparisons with Spark's semantics: a null operand gives null (except for the null-safe
/// <c>&lt;=&gt;</c>, which is never null), NaN equals NaN and is greater than every other number, strings
/// compare by their UTF-8 bytes. Operands arrive converted to one common type.
/// </summary>
internal static class ComparisonKernels
{
    public static BooleanArray Apply(ComparisonOperator op, IArrowArray left, IArrowArray right)
    {
        var length = left.Length;
        var order = new sbyte[length];
        switch (left)
        {
            case PrimitiveArray<double> a:
                CompareNumbers(a.Values, ((PrimitiveArray<double>)right).Values, order);
                break;
            case PrimitiveArray<float> a:
                CompareNumbers(a.Values, ((PrimitiveArray<float>)right).Values, order);
                break;
            case PrimitiveArray<long> a:
                CompareNumbers(a.Values, ((PrimitiveArray<long>)right).Values, order);
                break;
            case PrimitiveArray<int> a:
                CompareNumbers(a.Values, ((PrimitiveArray<int>)right).Values, order);
                break;
            case PrimitiveArray<short> a:
                CompareNumbers(a.Values, ((PrimitiveArray<short>)right).Values, order);
                break;
            case PrimitiveArray<sbyte> a:
                CompareNumbers(a.Values, ((PrimitiveArray<sbyte>)right).Values, order);
                break;
            case BooleanArray a:
                CompareBooleans(a, (BooleanArray)right, order);
                break;
            case StringArray a:
                CompareStrings(a, (StringArray)right, order);
                break;
            case ListArray a:
                CompareVectors(a, (ListArray)right, order);
                break;
            default:
                throw new InvalidOperationException($"No comparison of {left.Data.DataType.Name}.");
        }

        var bits = new byte[(length + 7) >> 3];
        var validity = ArrayFactory.AndValidity(length, left, right);
        if (op == ComparisonOperator.EqualNullSafe)
        {
            var leftValidity = ArrayFactory.AndValidity(length, left);
            var rightValidity = ArrayFactory.AndValidity(length, right);
            for (var i = 0; i < length; i++)
            {
                var l = leftValidity is null || ArrayFactory.Get(leftValidity, i);
                var r = rightValidity is null || ArrayFactory.Get(rightValidity, i);
                if (l && r ? order[i] == 0 : !l && !r)
                {
                    ArrayFactory.Set(bits, i);
                }
            }

            return ArrayFactory.Boolean(bits, null, length);
        }

        for (var i = 0; i < length; i++)
        {
            var c = order[i];
            var test = op switch
            {
                ComparisonOperator.Equal => c == 0,
                ComparisonOperator.NotEqual => c != 0,
                ComparisonOperator.LessThan => c < 0,
                ComparisonOperator.LessThanOrEqual => c <= 0,
                ComparisonOperator.GreaterThan => c > 0,
                _ => c >= 0,
            };
            if (test)
            {
                ArrayFactory.Set(bits, i);
            }
        }

        return ArrayFactory.Boolean(bits, validity, length);
    }

    private static void CompareNumbers<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, sbyte[] order)
        where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < order.Length; i++)
        {
            var x = a[i];
            var y = b[i];
            if (x < y)
            {
                order[i] = -1;
            }
            else if (x > y)
            {
                order[i] = 1;
            }
            else if (x != y)
            {
                // At least one NaN: NaN equals NaN and sorts above every number, as in Spark.
                order[i] = T.IsNaN(x) ? (T.IsNaN(y) ? (sbyte)0 : (sbyte)1) : (sbyte)-1;
            }
        }
    }

    private static void CompareBooleans(BooleanArray a, BooleanArray b, sbyte[] order)
    {
        var x = a.ValueBuffer.Span;
        var y = b.ValueBuffer.Span;
        for (var i = 0; i < order.Length; i++)
        {
            var l = ArrowArrays.IsValid(x, a.Offset, i) ? 1 : 0;
            var r = ArrowArrays.IsValid(y, b.Offset, i) ? 1 : 0;
            order[i] = (sbyte)(l - r);
        }
    }

    private static void CompareStrings(StringArray a, StringArray b, sbyte[] order)
    {
        var aOffsets = a.ValueOffsets;
        var bOffsets = b.ValueOffsets;
        var aData = a.ValueBuffer.Span;
        var bData = b.ValueBuffer.Span;
        for (var i = 0; i < order.Length; i++)
        {
            var l = aData[aOffsets[i]..aOffsets[i + 1]];
            var r = bData[bOffsets[i]..bOffsets[i + 1]];
            order[i] = (sbyte)Math.Sign(l.SequenceCompareTo(r));
        }
    }

    // Vectors compare element by element, then by length, as Spark compares arrays.
    private static void CompareVectors(ListArray a, ListArray b, sbyte[] order)
    {
        var aValues = ((PrimitiveArray<double>)a.Values).Values;
        var bValues = ((PrimitiveArray<double>)b.Values).Values;
        var aOffsets = a.ValueOffsets;
        var bOffsets = b.ValueOffsets;
        var pair = new sbyte[1];
        for (var i = 0; i < order.Length; i++)
        {
            var l = aValues[aOffsets[i]..aOffsets[i + 1]];
            var r = bValues[bOffsets[i]..bOffsets[i + 1]];
            var c = 0;
            for (var k = 0; k < Math.Min(l.Length, r.Length) && c == 0; k++)
            {
                CompareNumbers(l.Slice(k, 1), r.Slice(k, 1), pair);
                c = pair[0];
                pair[0] = 0;
            }

            order[i] = (sbyte)(c != 0 ? c : Math.Sign(l.Length - r.Length));
        }
    }
}
