using Microsoft.ML;
using Mlops.Features;

namespace Mlops.MLNet;

/// <summary>Presents frames to ML.NET.</summary>
public static class FrameDataViewExtensions
{
    /// <summary>
    /// Wraps the frame as an ML.NET <see cref="IDataView"/> that streams its batches: nothing is materialised, and each
    /// cursor reads the frame again. Scalars map to ML.NET's types (bool, sbyte, short, int, long, float, double, text,
    /// DateTime for dates and timestamps); vector columns map to known-size vectors of <see cref="float"/> (see
    /// <see cref="FrameDataViewOptions.VectorsAsSingle"/>) carrying their slot names as ML.NET's <c>SlotNames</c> annotation.
    /// </summary>
    /// <param name="frame">The frame.</param>
    /// <param name="options">Type and null handling; defaults when null.</param>
    /// <param name="cancellationToken">Stops the read of vector sizes, the only data read now (when a vector column has no size in its metadata).</param>
    /// <exception cref="SchemaException">A requested column is missing, a column's type has no ML.NET equivalent (all are listed), or a vector column's size cannot be found.</exception>
    /// <example>
    /// <code>
    /// var data = assembled.Select("features", "label").ToDataView();
    /// var model = mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression("label", "features").Fit(data);
    /// </code>
    /// </example>
    public static IDataView ToDataView(this Frame frame, FrameDataViewOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return FrameDataView.Create(frame, options ?? new FrameDataViewOptions(), cancellationToken);
    }
}
