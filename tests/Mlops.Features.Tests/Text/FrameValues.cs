using Apache.Arrow;
using Mlops.Arrow;

namespace Mlops.Features.Tests.Text;

/// <summary>Reading frames back as plain values for assertions.</summary>
internal static class FrameValues
{
    /// <summary>All rows, each as an array of CLR values.</summary>
    public static List<object?[]> Rows(Frame frame) => frame.Collect().Select(r => r.Values.ToArray()).ToList();

    /// <summary>One column's values.</summary>
    public static List<object?> Column(Frame frame, string name) => frame.Collect().Select(r => r[name]).ToList();

    /// <summary>The batches of every partition, in order.</summary>
    public static List<RecordBatch> Batches(Frame frame) => frame.ReadBatches(default, 1).ToList();

    /// <summary>A UTC timestamp from ISO text, for expected values.</summary>
    public static DateTime Utc(string iso) => DateTime.Parse(iso, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);

    public static string TypeOf(Frame frame, string column) => frame.Schema.GetFieldByName(column).DataType.Name;

    public static object? Value(IArrowArray array, int index) => ArrowValues.GetValue(array, index);
}
