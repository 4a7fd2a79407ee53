using System.Collections;
using System.Globalization;
using System.Text.Json;
using Mlops.Features.FeatureStore;

namespace Mlops.Features.Server.Http;

/// <summary>
/// Writes an <see cref="OnlineFeaturesResponse"/> as Feast's server does: <c>metadata.feature_names</c> (entity keys
/// first) and, per name, <c>values</c> (native JSON; NaN and infinities as protobuf's JSON strings), <c>statuses</c>
/// (the <c>FieldStatus</c> names) and <c>event_timestamps</c> (RFC 3339 UTC in protobuf's form: no fraction, or 3, 6 or
/// 9 digits; the zero time for entity keys and missing rows).
/// </summary>
internal static class OnlineFeaturesJson
{
    private const string ZeroTime = "1970-01-01T00:00:00Z";

    public static void Write(Utf8JsonWriter writer, OnlineFeaturesResponse response)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("metadata");
        writer.WriteStartArray("feature_names");
        foreach (var name in response.FeatureNames)
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteStartArray("results");
        Span<char> time = stackalloc char[32];
        foreach (var vector in response.Results)
        {
            writer.WriteStartObject();
            writer.WriteStartArray("values");
            foreach (var value in vector.Values)
            {
                WriteValue(writer, value, time);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("statuses");
            foreach (var status in vector.Statuses)
            {
                writer.WriteStringValue(StatusName(status));
            }

            writer.WriteEndArray();
            writer.WriteStartArray("event_timestamps");
            foreach (var timestamp in vector.EventTimestamps)
            {
                if (timestamp is { } t)
                {
                    writer.WriteStringValue(time[..FormatTime(t.UtcDateTime, time)]);
                }
                else
                {
                    writer.WriteStringValue(ZeroTime);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static string StatusName(FeatureStatus status) => status switch
    {
        FeatureStatus.Present => "PRESENT",
        FeatureStatus.NullValue => "NULL_VALUE",
        FeatureStatus.NotFound => "NOT_FOUND",
        FeatureStatus.OutsideMaxAge => "OUTSIDE_MAX_AGE",
        _ => "INVALID",
    };

    /// <summary>Protobuf's JSON form of a <c>Timestamp</c>: <c>yyyy-MM-ddTHH:mm:ss[.fff|.ffffff|.fffffffff]Z</c>.</summary>
    public static int FormatTime(DateTime utc, Span<char> destination)
    {
        utc.TryFormat(destination, out var written, "yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture);
        var ticks = utc.Ticks % TimeSpan.TicksPerSecond;
        if (ticks != 0)
        {
            destination[written++] = '.';
            var (digits, value) = ticks % TimeSpan.TicksPerMillisecond == 0 ? (3, ticks / TimeSpan.TicksPerMillisecond)
                : ticks % 10 == 0 ? (6, ticks / 10)
                : (9, ticks * 100);
            value.TryFormat(destination[written..], out var fraction, digits == 3 ? "D3" : digits == 6 ? "D6" : "D9", CultureInfo.InvariantCulture);
            written += fraction;
        }

        destination[written++] = 'Z';
        return written;
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value, Span<char> time)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case double d:
                WriteFloat(writer, d, double.IsFinite(d) ? null : d);
                break;
            case float f:
                if (float.IsFinite(f))
                {
                    writer.WriteNumberValue(f);
                }
                else
                {
                    WriteFloat(writer, f, f);
                }

                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case DateTimeOffset t:
                writer.WriteStringValue(time[..FormatTime(t.UtcDateTime, time)]);
                break;
            case DateTime t:
                writer.WriteStringValue(time[..FormatTime(t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t, time)]);
                break;
            case byte[] bytes:
                writer.WriteBase64StringValue(bytes);
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    WriteValue(writer, item, time);
                }

                writer.WriteEndArray();
                break;
            case IConvertible number when value is sbyte or byte or short or ushort or uint or ulong or decimal:
                writer.WriteNumberValue(number.ToDecimal(CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static void WriteFloat(Utf8JsonWriter writer, double value, double? special)
    {
        if (special is not { } s)
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(double.IsNaN(s) ? "NaN" : s > 0 ? "Infinity" : "-Infinity");
        }
    }
}
