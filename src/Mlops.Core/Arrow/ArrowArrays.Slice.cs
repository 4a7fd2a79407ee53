using Apache.Arrow;

namespace Mlops.Arrow;

/// <summary>Zero-copy views of a range of rows.</summary>
internal static partial class ArrowArrays
{
    /// <summary>
    /// Rows <paramref name="offset"/>..+<paramref name="length"/> of an array as a view sharing its buffers (no
    /// copy); the array itself when the range is all of it. The view's null count is computed at once, so readers
    /// of <see cref="ArrayData.NullCount"/> never see Arrow's "not yet counted" marker.
    /// </summary>
    /// <param name="array">The source array.</param>
    /// <param name="offset">The first row of the range.</param>
    /// <param name="length">How many rows the range holds.</param>
    public static IArrowArray Slice(IArrowArray array, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(array);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, array.Length, nameof(length));
        if (offset == 0 && length == array.Length)
        {
            return array;
        }

        var data = array.Data.Slice(offset, length);
        data.GetNullCount();
        return ArrowArrayFactory.BuildArray(data);
    }
}
