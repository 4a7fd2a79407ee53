using System.Runtime.InteropServices;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Arrow;

/// <summary>
/// Builds one Arrow column value by value. Faster and simpler than Arrow's own builders for the
/// readers' needs: one growable array of values plus a validity bitmap, turned into an array without
/// copying. Create one with <see cref="Create(IArrowType, int)"/>.
/// </summary>
public abstract class ColumnBuilder
{
    private BitmapBuilder _validity;

    /// <summary>Initializes the builder.</summary>
    private protected ColumnBuilder(IArrowType type, int capacity)
    {
        Type = type;
        _validity = new BitmapBuilder(capacity);
    }

    /// <summary>The Arrow type being built.</summary>
    public IArrowType Type { get; }

    /// <summary>How many values (nulls included) have been appended.</summary>
    public int Length => _validity.Length;

    /// <summary>How many nulls have been appended.</summary>
    public int NullCount => _validity.Length - _validity.SetCount;

    /// <summary>Creates a builder for one of the types frames support.</summary>
    /// <exception cref="NotSupportedException">The type is not supported.</exception>
    public static ColumnBuilder Create(IArrowType type, int capacity = 1024) => type switch
    {
        BooleanType => new BooleanColumnBuilder(capacity),
        Int8Type => new PrimitiveColumnBuilder<sbyte>(type, capacity),
        Int16Type => new PrimitiveColumnBuilder<short>(type, capacity),
        Int32Type => new PrimitiveColumnBuilder<int>(type, capacity),
        Int64Type => new PrimitiveColumnBuilder<long>(type, capacity),
        UInt8Type => new PrimitiveColumnBuilder<byte>(type, capacity),
        UInt16Type => new PrimitiveColumnBuilder<ushort>(type, capacity),
        UInt32Type => new PrimitiveColumnBuilder<uint>(type, capacity),
        UInt64Type => new PrimitiveColumnBuilder<ulong>(type, capacity),
        FloatType => new PrimitiveColumnBuilder<float>(type, capacity),
        DoubleType => new PrimitiveColumnBuilder<double>(type, capacity),
        Date32Type => new PrimitiveColumnBuilder<int>(type, capacity),
        Date64Type => new PrimitiveColumnBuilder<long>(type, capacity),
        TimestampType => new PrimitiveColumnBuilder<long>(type, capacity),
        StringType => new StringColumnBuilder(capacity),
        ListType { ValueDataType: DoubleType } => new DoubleListColumnBuilder((ListType)type, capacity),
        _ => throw new NotSupportedException($"Arrow type '{type.Name}' is not supported by frames."),
    };

    /// <summary>Appends a null.</summary>
    public void AppendNull()
    {
        AppendDefault();
        _validity.Append(false);
    }

    /// <summary>
    /// Appends a boxed value converted to the column's type (null appends a null). Accepts the CLR
    /// types a frame's rows hold (numbers, booleans, strings, <see cref="DateOnly"/>, <see cref="DateTime"/>, <c>double[]</c>), and numeric widenings.
    /// </summary>
    public abstract void AppendObject(object? value);

    /// <summary>Builds the array. The builder must not be used afterwards.</summary>
    public abstract IArrowArray Build();

    /// <summary>Marks the value being appended valid.</summary>
    private protected void MarkValid() => _validity.Append(true);

    /// <summary>Appends the storage default for a null slot; called before the validity bit is appended.</summary>
    private protected abstract void AppendDefault();

    /// <summary>The validity bitmap, or an empty buffer when there are no nulls.</summary>
    private protected ArrowBuffer BuildValidity() => NullCount == 0 ? ArrowBuffer.Empty : _validity.Build();
}

/// <summary>Builds a fixed-width column (integers, floating point, dates, timestamps).</summary>
/// <typeparam name="T">The storage type of one value.</typeparam>
public sealed class PrimitiveColumnBuilder<T> : ColumnBuilder
    where T : unmanaged
{
    private T[] _values;

    internal PrimitiveColumnBuilder(IArrowType type, int capacity)
        : base(type, capacity) => _values = new T[Math.Max(capacity, 4)];

    /// <summary>Appends a value.</summary>
    public void Append(T value)
    {
        var n = Length;
        if (n == _values.Length)
        {
            System.Array.Resize(ref _values, n * 2);
        }

        _values[n] = value;
        MarkValid();
    }

    /// <inheritdoc/>
    public override void AppendObject(object? value)
    {
        if (value is null)
        {
            AppendNull();
            return;
        }

        Append(Type switch
        {
            Date32Type => (T)(object)ArrowValues.ToDate32(value),
            Date64Type => (T)(object)(ArrowValues.ToDate32(value) * 86_400_000L),
            TimestampType ts => (T)(object)ArrowValues.ToTimestamp(value, ts.Unit),
            _ => (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    /// <inheritdoc/>
    public override IArrowArray Build()
    {
        var length = Length;
        var bytes = MemoryMarshal.AsBytes(_values.AsSpan(0, length)).ToArray();
        var data = new ArrayData(Type, length, NullCount, 0, [BuildValidity(), new ArrowBuffer(bytes)]);
        return ArrowArrayFactory.BuildArray(data);
    }

    private protected override void AppendDefault()
    {
        var n = Length;
        if (n == _values.Length)
        {
            System.Array.Resize(ref _values, n * 2);
        }

        _values[n] = default;
    }
}

/// <summary>Builds a boolean column.</summary>
public sealed class BooleanColumnBuilder : ColumnBuilder
{
    private BitmapBuilder _values;

    internal BooleanColumnBuilder(int capacity)
        : base(BooleanType.Default, capacity) => _values = new BitmapBuilder(capacity);

    /// <summary>Appends a value.</summary>
    public void Append(bool value)
    {
        _values.Append(value);
        MarkValid();
    }

    /// <inheritdoc/>
    public override void AppendObject(object? value)
    {
        if (value is null)
        {
            AppendNull();
        }
        else
        {
            Append(Convert.ToBoolean(value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <inheritdoc/>
    public override IArrowArray Build() =>
        new BooleanArray(_values.Build(), BuildValidity(), Length, NullCount, 0);

    private protected override void AppendDefault() => _values.Append(false);
}

/// <summary>Builds a UTF-8 string column.</summary>
public sealed class StringColumnBuilder : ColumnBuilder
{
    private int[] _offsets;
    private byte[] _data;
    private int _dataLength;

    internal StringColumnBuilder(int capacity)
        : base(StringType.Default, capacity)
    {
        _offsets = new int[Math.Max(capacity, 4) + 1];
        _data = new byte[Math.Max(capacity * 8, 64)];
    }

    /// <summary>Appends a value given as UTF-8 bytes.</summary>
    public void Append(ReadOnlySpan<byte> utf8)
    {
        EnsureData(utf8.Length);
        utf8.CopyTo(_data.AsSpan(_dataLength));
        _dataLength += utf8.Length;
        PushOffset();
        MarkValid();
    }

    /// <summary>Appends a value given as UTF-16 characters.</summary>
    public void Append(ReadOnlySpan<char> value)
    {
        EnsureData(Encoding.UTF8.GetMaxByteCount(value.Length));
        _dataLength += Encoding.UTF8.GetBytes(value, _data.AsSpan(_dataLength));
        PushOffset();
        MarkValid();
    }

    /// <inheritdoc/>
    public override void AppendObject(object? value)
    {
        if (value is null)
        {
            AppendNull();
        }
        else
        {
            Append((value as string ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!).AsSpan());
        }
    }

    /// <inheritdoc/>
    public override IArrowArray Build()
    {
        var length = Length;
        var offsets = MemoryMarshal.AsBytes(_offsets.AsSpan(0, length + 1)).ToArray();
        var data = _data.AsSpan(0, _dataLength).ToArray();
        return new StringArray(length, new ArrowBuffer(offsets), new ArrowBuffer(data), BuildValidity(), NullCount, 0);
    }

    private protected override void AppendDefault() => PushOffset();

    private void EnsureData(int extra)
    {
        if (_dataLength + extra > _data.Length)
        {
            System.Array.Resize(ref _data, Math.Max(_data.Length * 2, _dataLength + extra));
        }
    }

    private void PushOffset()
    {
        var n = Length + 1; // index of the offset that closes the value being appended
        if (n >= _offsets.Length)
        {
            System.Array.Resize(ref _offsets, _offsets.Length * 2);
        }

        _offsets[n] = _dataLength;
    }
}

/// <summary>Builds a column of float64 vectors (Arrow <c>list&lt;double&gt;</c>), the type feature vectors use.</summary>
public sealed class DoubleListColumnBuilder : ColumnBuilder
{
    private int[] _offsets;
    private double[] _values;
    private int _valueLength;

    internal DoubleListColumnBuilder(ListType type, int capacity)
        : base(type, capacity)
    {
        _offsets = new int[Math.Max(capacity, 4) + 1];
        _values = new double[Math.Max(capacity * 4, 16)];
    }

    /// <summary>Appends a vector.</summary>
    public void Append(ReadOnlySpan<double> vector)
    {
        if (_valueLength + vector.Length > _values.Length)
        {
            System.Array.Resize(ref _values, Math.Max(_values.Length * 2, _valueLength + vector.Length));
        }

        vector.CopyTo(_values.AsSpan(_valueLength));
        _valueLength += vector.Length;
        PushOffset();
        MarkValid();
    }

    /// <inheritdoc/>
    public override void AppendObject(object? value)
    {
        switch (value)
        {
            case null:
                AppendNull();
                break;
            case double[] d:
                Append(d);
                break;
            case IEnumerable<double> e:
                Append(e.ToArray());
                break;
            default:
                throw new ArgumentException($"Cannot append a {value.GetType().Name} to a list<double> column.", nameof(value));
        }
    }

    /// <inheritdoc/>
    public override IArrowArray Build()
    {
        var length = Length;
        var offsets = MemoryMarshal.AsBytes(_offsets.AsSpan(0, length + 1)).ToArray();
        var values = new DoubleArray(new ArrowBuffer(MemoryMarshal.AsBytes(_values.AsSpan(0, _valueLength)).ToArray()), ArrowBuffer.Empty, _valueLength, 0, 0);
        return new ListArray(Type, length, new ArrowBuffer(offsets), values, BuildValidity(), NullCount, 0);
    }

    private protected override void AppendDefault() => PushOffset();

    private void PushOffset()
    {
        var n = Length + 1;
        if (n >= _offsets.Length)
        {
            System.Array.Resize(ref _offsets, _offsets.Length * 2);
        }

        _offsets[n] = _valueLength;
    }
}
