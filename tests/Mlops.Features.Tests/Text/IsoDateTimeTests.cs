using Apache.Arrow.Types;
using Mlops.Features.Text;

namespace Mlops.Features.Tests.Text;

public sealed class IsoDateTimeTests
{
    [Theory]
    [InlineData("1970-01-01", 0)]
    [InlineData("1969-12-31", -1)]
    [InlineData("2000-02-29", 11016)]
    [InlineData("0001-01-01", -719162)]
    [InlineData("9999-12-31", 2932896)]
    public void ParsesDates(string text, int days)
    {
        Assert.True(IsoDateTime.TryParseDate(System.Text.Encoding.ASCII.GetBytes(text), out var parsed));
        Assert.Equal(days, parsed);
    }

    [Theory]
    [InlineData("2023-02-29")]
    [InlineData("2024-04-31")]
    [InlineData("2024-00-10")]
    [InlineData("2024-1-10")]
    [InlineData("0000-01-01")]
    [InlineData("2024/01/10")]
    [InlineData("2024-01-10 ")]
    [InlineData("")]
    public void RejectsInvalidDates(string text) =>
        Assert.False(IsoDateTime.TryParseDate(System.Text.Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void DaysFromCivilMatchesDateOnlyEverywhere()
    {
        var random = new Random(1);
        var epoch = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        for (var i = 0; i < 10_000; i++)
        {
            var date = DateOnly.FromDayNumber(random.Next(DateOnly.MinValue.DayNumber, DateOnly.MaxValue.DayNumber));
            Assert.Equal(date.DayNumber - epoch, IsoDateTime.DaysFromCivil(date.Year, date.Month, date.Day));
        }
    }

    [Theory]
    [InlineData("2024-05-06T07:08:09Z", "2024-05-06T07:08:09.0000000Z")]
    [InlineData("2024-05-06 07:08:09", "2024-05-06T07:08:09.0000000Z")]
    [InlineData("2024-05-06t07:08", "2024-05-06T07:08:00.0000000Z")]
    [InlineData("2024-05-06T07:08:09.1", "2024-05-06T07:08:09.1000000Z")]
    [InlineData("2024-05-06T07:08:09,123456789z", "2024-05-06T07:08:09.1234567Z")]
    [InlineData("2024-05-06T07:08:09+02:00", "2024-05-06T05:08:09.0000000Z")]
    [InlineData("2024-05-06T01:08:09-0230", "2024-05-06T03:38:09.0000000Z")]
    [InlineData("2024-01-01T00:30:00+01", "2023-12-31T23:30:00.0000000Z")]
    [InlineData("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.5000000Z")]
    [InlineData("2024-05-06", "2024-05-06T00:00:00.0000000Z")]
    public void ParsesTimestampsToUtc(string text, string expectedUtc)
    {
        Assert.True(IsoDateTime.TryParseTimestamp(System.Text.Encoding.ASCII.GetBytes(text), out var seconds, out var nanos));
        var expected = DateTimeOffset.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected.ToUnixTimeSeconds(), seconds);
        Assert.Equal((int)(expected.UtcTicks % TimeSpan.TicksPerSecond) * 100, nanos / 100 * 100);
    }

    [Theory]
    [InlineData("2024-05-06T24:00:00")]
    [InlineData("2024-05-06T07:60")]
    [InlineData("2024-05-06T07:08:60")]
    [InlineData("2024-05-06T07")]
    [InlineData("2024-05-06T07:08:09.")]
    [InlineData("2024-05-06T07:08:09.1234567890")]
    [InlineData("2024-05-06T07:08:09+2")]
    [InlineData("2024-05-06T07:08:09+02:0")]
    [InlineData("2024-05-06T07:08:09 UTC")]
    [InlineData("2024-05-06X07:08:09")]
    [InlineData("2024-05-06T07:08:09ZZ")]
    public void RejectsInvalidTimestamps(string text) =>
        Assert.False(IsoDateTime.TryParseTimestamp(System.Text.Encoding.ASCII.GetBytes(text), out _, out _));

    [Fact]
    public void ConvertsToEveryUnitAndDetectsNanosecondOverflow()
    {
        Assert.True(IsoDateTime.TryToUnit(-1, 500_000_000, TimeUnit.Microsecond, out var micros));
        Assert.Equal(-500_000, micros);
        Assert.True(IsoDateTime.TryToUnit(1, 999_999_999, TimeUnit.Millisecond, out var millis));
        Assert.Equal(1999, millis);
        Assert.False(IsoDateTime.TryToUnit(10_000_000_000, 0, TimeUnit.Nanosecond, out _));
    }

    [Fact]
    public void CustomFormatsGoThroughTheInvariantCulture()
    {
        var parser = new TemporalParser("d MMM yyyy", "yyyyMMddHHmmss");
        Assert.True(parser.TryParseDate("5 Mar 2024"u8, out var days));
        Assert.Equal(new DateOnly(2024, 3, 5).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber, days);
        Assert.True(parser.TryParseTimestamp("20240305101112"u8, TimeUnit.Second, out var seconds));
        Assert.Equal(new DateTimeOffset(2024, 3, 5, 10, 11, 12, TimeSpan.Zero).ToUnixTimeSeconds(), seconds);
        Assert.False(parser.TryParseDate("2024-03-05"u8, out _));
    }
}
