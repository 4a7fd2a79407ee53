using Microsoft.ML;
using Microsoft.ML.Data;
using Mlops.Tracking;
using Mlops.Tracking.Models;

namespace Mlops.MLNet;

/// <summary>An ML.NET <see cref="IDataView"/> over column arrays (one element per row), for <see cref="IColumnPredictor.Predict"/>.</summary>
internal sealed class ColumnsDataView : IDataView
{
    private readonly Array[] _columns;
    private readonly long _rowCount;

    public ColumnsDataView(IReadOnlyDictionary<string, Array> columns)
    {
        var builder = new DataViewSchema.Builder();
        _columns = new Array[columns.Count];
        var index = 0;
        _rowCount = -1;
        foreach (var (name, values) in columns)
        {
            if (_rowCount >= 0 && values.Length != _rowCount)
            {
                throw new MlflowException(MlflowErrorCodes.InvalidParameterValue, $"Input column '{name}' has {values.Length} rows, but the others have {_rowCount}.");
            }

            _rowCount = values.Length;
            builder.AddColumn(name, TypeOf(name, values));
            _columns[index++] = values;
        }

        Schema = builder.ToSchema();
        _rowCount = Math.Max(_rowCount, 0);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    private static DataViewType TypeOf(string name, Array values) => values switch
    {
        float[] => NumberDataViewType.Single,
        double[] => NumberDataViewType.Double,
        int[] => NumberDataViewType.Int32,
        long[] => NumberDataViewType.Int64,
        bool[] => BooleanDataViewType.Instance,
        string[] => TextDataViewType.Instance,
        float[][] rows => new VectorDataViewType(NumberDataViewType.Single, rows.Length == 0 ? 0 : rows[0].Length),
        double[][] rows => new VectorDataViewType(NumberDataViewType.Double, rows.Length == 0 ? 0 : rows[0].Length),
        _ => throw new MlflowException(MlflowErrorCodes.InvalidParameterValue, 
            $"Input column '{name}' is a {values.GetType().Name}; supported are float[], double[], int[], long[], bool[], string[], float[][] and double[][]."),
    };

    private sealed class Cursor(ColumnsDataView view) : DataViewRowCursor
    {
        private long _position = -1;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => view.Schema;

        public override bool MoveNext()
        {
            if (_position + 1 < view._rowCount)
            {
                _position++;
                return true;
            }

            _position = view._rowCount;
            return false;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = view._columns[column.Index] switch
            {
                float[] a => (ValueGetter<float>)((ref float v) => v = a[_position]),
                double[] a => (ValueGetter<double>)((ref double v) => v = a[_position]),
                int[] a => (ValueGetter<int>)((ref int v) => v = a[_position]),
                long[] a => (ValueGetter<long>)((ref long v) => v = a[_position]),
                bool[] a => (ValueGetter<bool>)((ref bool v) => v = a[_position]),
                string[] a => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = (a[_position] ?? "").AsMemory()),
                float[][] a => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => v = new VBuffer<float>(a[_position].Length, a[_position])),
                double[][] a => (ValueGetter<VBuffer<double>>)((ref VBuffer<double> v) => v = new VBuffer<double>(a[_position].Length, a[_position])),
                _ => throw new InvalidOperationException("Unsupported column type."),
            };
            return getter as ValueGetter<TValue> ?? throw new InvalidOperationException(
                $"Column '{column.Name}' is {column.Type}; it cannot be read as {typeof(TValue).Name}.");
        }
    }
}
