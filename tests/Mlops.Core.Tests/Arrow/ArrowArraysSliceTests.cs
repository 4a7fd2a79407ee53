using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Core.Tests.Arrow;

public class ArrowArraysSliceTests
{
    public static TheoryData<IArrowType, object?[]> Columns() => ArrowArraysTests.Columns();

    [Theory]
    [MemberData(nameof(Columns))]
    public void Slice_is_a_view_of_the_range_with_its_null_count_known(IArrowType type, object?[] values)
    {
        var array = Build(type, [.. values, .. values, .. values]);
        for (var offset = 0; offset < array.Length; offset++)
        {
            for (var length = 0; offset + length <= array.Length; length++)
            {
                var slice = ArrowArrays.Slice(array, offset, length);

                Assert.Equal(length, slice.Length);
                var expected = Enumerable.Range(offset, length).Select(i => ArrowValues.GetValue(array, i)).ToList();
                Assert.Equal(expected, Enumerable.Range(0, length).Select(i => ArrowValues.GetValue(slice, i)));
                Assert.Equal(expected.Count(v => v is null), slice.Data.NullCount);

                // A view, not a copy: the values buffer is the source's.
                Assert.True(slice.Data.Buffers[^1].Span.Overlaps(array.Data.Buffers[^1].Span));

                // Kernels that read the view (here: a take of all of it) see the same rows.
                var taken = ArrowArrays.Take(slice, [.. Enumerable.Range(0, length)]);
                Assert.Equal(expected, Enumerable.Range(0, length).Select(i => ArrowValues.GetValue(taken, i)));
            }
        }
    }

    [Fact]
    public void Slice_of_the_whole_array_is_the_array()
    {
        var array = Build(Int64Type.Default, [1L, null, 3L]);

        Assert.Same(array, ArrowArrays.Slice(array, 0, 3));
    }

    [Fact]
    public void Slice_rejects_a_range_outside_the_array()
    {
        var array = Build(Int64Type.Default, [1L, null, 3L]);

        Assert.Throws<ArgumentOutOfRangeException>(() => ArrowArrays.Slice(array, -1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArrowArrays.Slice(array, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArrowArrays.Slice(array, 0, -1));
    }

    private static IArrowArray Build(IArrowType type, object?[] values)
    {
        var builder = ColumnBuilder.Create(type, 1);
        foreach (var v in values)
        {
            builder.AppendObject(v);
        }

        return builder.Build();
    }
}
