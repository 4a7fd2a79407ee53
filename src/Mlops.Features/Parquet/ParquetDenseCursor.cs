using System.Buffers;
using System.Numerics;
using Mlops.Features.Parquet;

namespace Mlops.Features;

/// <summary>
/// Reads a <see cref="ParquetDenseReader"/>'s rows on one thread, keeping the last few files open (row groups of a
/// file tend to be read together). Either decodes whole row groups into the caller's buffers
/// (<see cref="ReadRowGroup(int, int, Memory{float}, Memory{float}, CancellationToken)"/>) or reads any number of
/// rows from a <see cref="ParquetDensePosition"/>, which it advances (<see cref="Read(ref ParquetDensePosition, Memory{float}, Memory{float}, CancellationToken)"/>).
/// </summary>
public sealed class ParquetDenseCursor : IDisposable
{
    private const int OpenFilesKept = 4;
    private readonly ParquetDenseReader _reader;
    private readonly List<(int File, ParquetDenseReader.OpenParquetFile Open)> _open = [];

    // The row group decoded last by Read, in pooled buffers, so reads that end mid-row-group continue from it.
    private (int File, int RowGroup, Array Features, Array Labels)? _current;

    internal ParquetDenseCursor(ParquetDenseReader reader)
    {
        _reader = reader;
    }

    /// <summary>Decodes one row group into the buffers (see <see cref="ParquetDenseReader.ReadRowGroup(int, int, Memory{float}, Memory{float}, CancellationToken)"/>).</summary>
    /// <param name="file">The file's index in <see cref="ParquetDenseReader.Files"/>.</param>
    /// <param name="rowGroup">The row group within the file.</param>
    /// <param name="features">Receives rows × width features, row-major.</param>
    /// <param name="labels">Receives the rows' labels.</param>
    /// <param name="cancellationToken">Stops decoding.</param>
    /// <exception cref="DataFormatException">A row has a null or a vector of another width, or the file is corrupt or changed; the message names the file, row group, column and row.</exception>
    public void ReadRowGroup(int file, int rowGroup, Memory<float> features, Memory<float> labels, CancellationToken cancellationToken = default) =>
        DecodeGroup(file, rowGroup, features, labels, cancellationToken);

    /// <inheritdoc cref="ReadRowGroup(int, int, Memory{float}, Memory{float}, CancellationToken)"/>
    public void ReadRowGroup(int file, int rowGroup, Memory<double> features, Memory<double> labels, CancellationToken cancellationToken = default) =>
        DecodeGroup(file, rowGroup, features, labels, cancellationToken);

    /// <summary>
    /// Reads up to <c>labels.Length</c> rows from <paramref name="position"/> on, across row groups and files, into
    /// <paramref name="features"/> (which must hold <c>labels.Length</c> × width values) and <paramref name="labels"/>,
    /// and moves <paramref name="position"/> past them.
    /// </summary>
    /// <param name="position">Where to read from; advanced by the rows read.</param>
    /// <param name="features">Receives the features, row-major.</param>
    /// <param name="labels">Receives the labels; its length is the most rows read.</param>
    /// <param name="cancellationToken">Stops decoding.</param>
    /// <returns>The rows read: fewer than <c>labels.Length</c> only at the end of the data (0 there).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The position is not in the data (its file or row group does not exist, or its row is past its row group).</exception>
    /// <exception cref="DataFormatException">A row has a null or a vector of another width, or a file is corrupt or changed.</exception>
    public int Read(ref ParquetDensePosition position, Memory<float> features, Memory<float> labels, CancellationToken cancellationToken = default) =>
        ReadRows(ref position, features, labels, cancellationToken);

    /// <inheritdoc cref="Read(ref ParquetDensePosition, Memory{float}, Memory{float}, CancellationToken)"/>
    public int Read(ref ParquetDensePosition position, Memory<double> features, Memory<double> labels, CancellationToken cancellationToken = default) =>
        ReadRows(ref position, features, labels, cancellationToken);

    /// <summary>Closes the open files and returns the pooled buffers.</summary>
    public void Dispose()
    {
        ReleaseCurrent();
        foreach (var (_, open) in _open)
        {
            open.Dispose();
        }

        _open.Clear();
    }

    private int ReadRows<T>(ref ParquetDensePosition position, Memory<T> features, Memory<T> labels, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        var width = _reader.FeatureWidth;
        if (features.Length < (long)labels.Length * width)
        {
            throw new ArgumentException($"The feature buffer holds {features.Length} values but {labels.Length} rows of width {width} need {(long)labels.Length * width}.", nameof(features));
        }

        var (file, group, row) = position;
        if (file != _reader.Files.Count || group != 0 || row != 0)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(row, _reader.RowsIn(file, group), nameof(position));
            ArgumentOutOfRangeException.ThrowIfNegative(row, nameof(position));
        }

        var read = 0;
        while (read < labels.Length && file < _reader.Files.Count)
        {
            if (group >= _reader.RowGroupCount(file))
            {
                (file, group, row) = (file + 1, 0, 0);
                continue;
            }

            var rows = _reader.RowsIn(file, group);
            if (row >= rows)
            {
                (group, row) = (group + 1, 0);
                continue;
            }

            var (groupFeatures, groupLabels) = Current<T>(file, group, rows, cancellationToken);
            var take = Math.Min(rows - row, labels.Length - read);
            groupFeatures.AsSpan(row * width, take * width).CopyTo(features.Span[(read * width)..]);
            groupLabels.AsSpan(row, take).CopyTo(labels.Span[read..]);
            read += take;
            row += take;
        }

        position = new ParquetDensePosition(file, group, row);
        return read;
    }

    /// <summary>The decoded rows of a row group in pooled buffers, decoding it unless it was the last one read.</summary>
    private (T[] Features, T[] Labels) Current<T>(int file, int group, int rows, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        if (_current is { } c && c.File == file && c.RowGroup == group && c.Features is T[] f && c.Labels is T[] l)
        {
            return (f, l);
        }

        ReleaseCurrent();
        var features = ArrayPool<T>.Shared.Rent(Math.Max(1, checked(rows * _reader.FeatureWidth)));
        var labels = ArrayPool<T>.Shared.Rent(Math.Max(1, rows));
        _current = (file, group, features, labels);
        DecodeGroup<T>(file, group, features, labels, cancellationToken);
        return (features, labels);
    }

    private void ReleaseCurrent()
    {
        switch (_current)
        {
            case { Features: float[] f, Labels: float[] l }:
                ArrayPool<float>.Shared.Return(f);
                ArrayPool<float>.Shared.Return(l);
                break;
            case { Features: double[] f, Labels: double[] l }:
                ArrayPool<double>.Shared.Return(f);
                ArrayPool<double>.Shared.Return(l);
                break;
        }

        _current = null;
    }

    private void DecodeGroup<T>(int file, int rowGroup, Memory<T> features, Memory<T> labels, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        _ = _reader.RowsIn(file, rowGroup);
        _reader.Decode(Open(file, cancellationToken).Reader, file, rowGroup, features, labels, cancellationToken);
    }

    private ParquetDenseReader.OpenParquetFile Open(int file, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _open.Count; i++)
        {
            if (_open[i].File == file)
            {
                return _open[i].Open;
            }
        }

        if (_open.Count == OpenFilesKept)
        {
            _open[0].Open.Dispose();
            _open.RemoveAt(0);
        }

        var open = _reader.OpenFile(file, cancellationToken);
        _open.Add((file, open));
        return open;
    }
}
