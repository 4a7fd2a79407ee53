using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.ML.Data;

namespace Mlops.MLNet;

/// <summary>What kind of value a frame column becomes in ML.NET.</summary>
internal enum DataViewValueKind
{
    Boolean,
    SByte,
    Int16,
    Int32,
    Int64,
    Single,
    Double,
    DoubleAsSingle,
    Text,
    Date,
    Timestamp,
    SingleVector,
    DoubleVector,
}

/// <summary>One exposed column: where it is in the frame, its ML.NET type, and for vectors the size and slot names.</summary>
internal sealed record FrameDataViewColumn(string Name, int FrameIndex, DataViewValueKind Kind, int VectorSize, IReadOnlyList<string>? SlotNames)
{
    /// <summary>The ML.NET value kind for a frame column type, or null when ML.NET has no equivalent.</summary>
    public static DataViewValueKind? KindOf(IArrowType type, FrameDataViewOptions options) => type switch
    {
        BooleanType => DataViewValueKind.Boolean,
        Int8Type => DataViewValueKind.SByte,
        Int16Type => DataViewValueKind.Int16,
        Int32Type => DataViewValueKind.Int32,
        Int64Type => DataViewValueKind.Int64,
        FloatType => DataViewValueKind.Single,
        DoubleType => options.DoublesAsSingle ? DataViewValueKind.DoubleAsSingle : DataViewValueKind.Double,
        StringType => DataViewValueKind.Text,
        Date32Type => DataViewValueKind.Date,
        TimestampType => DataViewValueKind.Timestamp,
        ListType { ValueDataType: DoubleType } => options.VectorsAsSingle ? DataViewValueKind.SingleVector : DataViewValueKind.DoubleVector,
        _ => null,
    };

    public bool IsVector => Kind is DataViewValueKind.SingleVector or DataViewValueKind.DoubleVector;

    /// <summary>The ML.NET column type.</summary>
    public Microsoft.ML.Data.DataViewType Type => Kind switch
    {
        DataViewValueKind.Boolean => BooleanDataViewType.Instance,
        DataViewValueKind.SByte => NumberDataViewType.SByte,
        DataViewValueKind.Int16 => NumberDataViewType.Int16,
        DataViewValueKind.Int32 => NumberDataViewType.Int32,
        DataViewValueKind.Int64 => NumberDataViewType.Int64,
        DataViewValueKind.Single or DataViewValueKind.DoubleAsSingle => NumberDataViewType.Single,
        DataViewValueKind.Double => NumberDataViewType.Double,
        DataViewValueKind.Text => TextDataViewType.Instance,
        DataViewValueKind.Date or DataViewValueKind.Timestamp => DateTimeDataViewType.Instance,
        DataViewValueKind.SingleVector => new VectorDataViewType(NumberDataViewType.Single, VectorSize),
        _ => new VectorDataViewType(NumberDataViewType.Double, VectorSize),
    };
}
