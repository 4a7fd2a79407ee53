using Apache.Arrow;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Mlops.MLNet;

/// <summary>
/// Walks the rows of a <see cref="FrameDataView"/> batch by batch. Getters read the current batch's Arrow buffers
/// directly (strings are decoded once per batch), so the only per-row cost is ML.NET's getter delegate call.
/// </summary>
internal sealed class FrameRowCursor : DataViewRowCursor
{
    private readonly FrameDataView _view;
    private readonly bool[] _active;
    private readonly IEnumerator<TaggedBatch> _batches;
    private readonly long? _batchId;
    private TaggedBatch? _current;
    private int _row = -1;
    private long _position = -1;
    private bool _done;

    /// <param name="view">The view.</param>
    /// <param name="active">Which columns have getters.</param>
    /// <param name="batches">The batches to walk.</param>
    /// <param name="batchId">Null for a serial cursor (batch 0); otherwise the partition index serves as ML.NET's batch id.</param>
    public FrameRowCursor(FrameDataView view, bool[] active, IEnumerable<TaggedBatch> batches, long? batchId)
    {
        _view = view;
        _active = active;
        _batches = batches.GetEnumerator();
        _batchId = batchId;
    }

    public override DataViewSchema Schema => _view.Schema;

    public override long Position => _position;

    public override long Batch => _batchId is null || _current is null ? 0 : _current.Partition;

    /// <summary>The current batch; getters call this on every read.</summary>
    internal RecordBatch CurrentBatch => _current?.Batch ?? throw new InvalidOperationException("The cursor is not on a row; call MoveNext first.");

    /// <summary>The current row within <see cref="CurrentBatch"/>.</summary>
    internal int Row => _row;

    /// <summary>The row's number within its partition, for messages.</summary>
    internal string Describe() => $"row {_current!.RowBase + _row} of partition {_current.Partition}";

    internal bool NullsAsDefault => _view.NullsAsDefault;

    public override bool MoveNext()
    {
        if (_done)
        {
            return false;
        }

        if (_current is not null && _row + 1 < _current.Batch.Length)
        {
            _row++;
            _position++;
            return true;
        }

        while (_batches.MoveNext())
        {
            if (_batches.Current.Batch.Length > 0)
            {
                _current = _batches.Current;
                _row = 0;
                _position++;
                return true;
            }
        }

        _done = true;
        _current = null;
        _batches.Dispose();
        return false;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) =>
    {
        var current = _current ?? throw new InvalidOperationException("The cursor is not on a row; call MoveNext first.");
        id = new DataViewRowId((ulong)(current.RowBase + _row), (ulong)current.Partition);
    };

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index >= 0 && column.Index < _active.Length && _active[column.Index];

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!IsColumnActive(column))
        {
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
        }

        var mapping = _view.Columns[column.Index];
        var type = mapping.Type;
        if (typeof(TValue) != type.RawType)
        {
            throw new InvalidOperationException($"Column '{column.Name}' holds {type} values ({type.RawType.Name}); a getter of {typeof(TValue).Name} was requested.");
        }

        return (ValueGetter<TValue>)DataViewGetters.Create(this, mapping);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_done)
        {
            _done = true;
            _current = null;
            _batches.Dispose();
        }

        base.Dispose(disposing);
    }
}
