using System.Numerics;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features;

/// <summary>The arithmetic operators of column expressions.</summary>
internal enum ArithmeticOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Remainder,
}

/// <summary>
/// Vectorised arithmetic with Spark's (non-ANSI) semantics: integers wrap on overflow, and division or remainder
/// by zero gives null. Operands arrive already converted to the result type; one generic loop per operator and
/// type, specialised by the JIT, so there is no per-value call.
/// </summary>
internal static class ArithmeticKernels
{
    public static IArrowArray Apply(ArithmeticOperator op, IArrowArray left, IArrowArray right, IArrowType type) => type switch
    {
        DoubleType => Apply<double>(op, (PrimitiveArray<double>)left, (PrimitiveArray<double>)right, type),
        FloatType => Apply<float>(op, (PrimitiveArray<float>)left, (PrimitiveArray<float>)right, type),
        Int64Type => Apply<long>(op, (PrimitiveArray<long>)left, (PrimitiveArray<long>)right, type),
        Int32Type => Apply<int>(op, (PrimitiveArray<int>)left, (PrimitiveArray<int>)right, type),
        Int16Type => Apply<short>(op, (PrimitiveArray<short>)left, (PrimitiveArray<short>)right, type),
        Int8Type => Apply<sbyte>(op, (PrimitiveArray<sbyte>)left, (PrimitiveArray<sbyte>)right, type),
        _ => throw new InvalidOperationException($"No arithmetic on {type.Name}."),
    };

    public static IArrowArray Negate(IArrowArray operand) => operand switch
    {
        PrimitiveArray<double> a => Negate(a),
        PrimitiveArray<float> a => Negate(a),
        PrimitiveArray<long> a => Negate(a),
        PrimitiveArray<int> a => Negate(a),
        PrimitiveArray<short> a => Negate(a),
        PrimitiveArray<sbyte> a => Negate(a),
        _ => throw new InvalidOperationException($"No negation of {operand.Data.DataType.Name}."),
    };

    private static IArrowArray Apply<T>(ArithmeticOperator op, PrimitiveArray<T> left, PrimitiveArray<T> right, IArrowType type)
        where T : unmanaged, INumber<T> => op switch
    {
        ArithmeticOperator.Add => Run<T, Add<T>>(left, right, type),
        ArithmeticOperator.Subtract => Run<T, Subtract<T>>(left, right, type),
        ArithmeticOperator.Multiply => Run<T, Multiply<T>>(left, right, type),
        ArithmeticOperator.Divide => Run<T, Divide<T>>(left, right, type),
        _ => Run<T, Remainder<T>>(left, right, type),
    };

    private static IArrowArray Run<T, TOp>(PrimitiveArray<T> left, PrimitiveArray<T> right, IArrowType type)
        where T : unmanaged, INumber<T>
        where TOp : struct, IArithmetic<T>
    {
        var a = left.Values;
        var b = right.Values;
        var length = a.Length;
        var result = new T[length];
        var validity = ArrayFactory.AndValidity(length, left, right);
        if (!TOp.ZeroDivisorIsNull)
        {
            for (var i = 0; i < length; i++)
            {
                result[i] = TOp.Apply(a[i], b[i]);
            }

            return ArrayFactory.Primitive(type, result, validity);
        }

        for (var i = 0; i < length; i++)
        {
            if (T.IsZero(b[i]))
            {
                (validity ??= ArrayFactory.AllSet(length))[i >> 3] &= (byte)~(1 << (i & 7));
            }
            else
            {
                result[i] = TOp.Apply(a[i], b[i]);
            }
        }

        return ArrayFactory.Primitive(type, result, validity);
    }

    private static IArrowArray Negate<T>(PrimitiveArray<T> operand)
        where T : unmanaged, INumber<T>
    {
        var a = operand.Values;
        var result = new T[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            result[i] = unchecked(-a[i]);
        }

        return ArrayFactory.Primitive(operand.Data.DataType, result, ArrayFactory.AndValidity(a.Length, operand));
    }

    private interface IArithmetic<T>
    {
        static abstract bool ZeroDivisorIsNull { get; }

        static abstract T Apply(T a, T b);
    }

    private readonly struct Add<T> : IArithmetic<T>
        where T : INumber<T>
    {
        public static bool ZeroDivisorIsNull => false;

        public static T Apply(T a, T b) => unchecked(a + b);
    }

    private readonly struct Subtract<T> : IArithmetic<T>
        where T : INumber<T>
    {
        public static bool ZeroDivisorIsNull => false;

        public static T Apply(T a, T b) => unchecked(a - b);
    }

    private readonly struct Multiply<T> : IArithmetic<T>
        where T : INumber<T>
    {
        public static bool ZeroDivisorIsNull => false;

        public static T Apply(T a, T b) => unchecked(a * b);
    }

    private readonly struct Divide<T> : IArithmetic<T>
        where T : INumber<T>
    {
        public static bool ZeroDivisorIsNull => true;

        public static T Apply(T a, T b) => a / b;
    }

    private readonly struct Remainder<T> : IArithmetic<T>
        where T : INumber<T>
    {
        public static bool ZeroDivisorIsNull => true;

        // MinValue % -1 throws in .NET but is 0 in Java (and Spark); x % -1 is always 0 for integers.
        public static T Apply(T a, T b) =>
            typeof(T) != typeof(double) && typeof(T) != typeof(float) && b == -T.One ? T.Zero : a % b;
    }
}
