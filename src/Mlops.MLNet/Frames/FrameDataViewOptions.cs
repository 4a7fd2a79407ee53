namespace Mlops.MLNet;

/// <summary>How <see cref="FrameDataViewExtensions.ToDataView"/> presents a frame to ML.NET.</summary>
public sealed class FrameDataViewOptions
{
    /// <summary>
    /// Present vector (<c>list&lt;double&gt;</c>) columns as vectors of <see cref="float"/>, which ML.NET trainers expect
    /// for features. True by default; false keeps them as <see cref="double"/>.
    /// </summary>
    public bool VectorsAsSingle { get; set; } = true;

    /// <summary>Present double columns as <see cref="float"/> (e.g. a regression label, which ML.NET wants as Single). False by default.</summary>
    public bool DoublesAsSingle { get; set; }

    /// <summary>
    /// What a null becomes in a column whose ML.NET type has no missing value (integers, booleans, dates):
    /// false (the default) fails with a <see cref="DataFormatException"/> naming the column and row; true reads the
    /// type's default (0, false, 0001-01-01). Nulls in float and double columns always read as NaN, in strings as
    /// empty text, and in vectors as NaN in every slot.
    /// </summary>
    public bool NullsAsDefault { get; set; }

    /// <summary>The columns to expose, in this order; all supported columns when null.</summary>
    public IReadOnlyList<string>? Columns { get; set; }

    /// <summary>How many partitions a serial cursor reads ahead in parallel; the frame default when null.</summary>
    public int? DegreeOfParallelism { get; set; }
}
