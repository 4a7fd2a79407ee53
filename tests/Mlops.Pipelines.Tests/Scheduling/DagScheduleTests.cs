namespace Mlops.Pipelines.Tests.Scheduling;

public class DagScheduleTests
{
    private static readonly DateTimeOffset Start = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset D(int month, int day, int hour = 0) => new(2023, month, day, hour, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Interval_schedule_aligns_on_the_start_date()
    {
        DagSchedule daily = TimeSpan.FromDays(1);
        var start = Start.AddHours(6);
        Assert.Equal(new DataInterval(start, start.AddDays(1)), daily.NextInterval(start, null));
        Assert.Equal(new DataInterval(start.AddDays(1), start.AddDays(2)), daily.NextInterval(start, start.AddDays(1)));
        Assert.Equal(new DataInterval(start.AddDays(2), start.AddDays(3)), daily.NextInterval(start, start.AddDays(1).AddHours(1)));
        Assert.Null(daily.LatestCompleteInterval(start, start.AddHours(23)));
        Assert.Equal(new DataInterval(start.AddDays(4), start.AddDays(5)), daily.LatestCompleteInterval(start, start.AddDays(5).AddHours(3)));
    }

    [Fact]
    public void Cron_schedule_uses_consecutive_occurrences()
    {
        DagSchedule weekdays = "0 6 * * 1-5";
        // 2023-01-01 is a Sunday: the first occurrence is Monday 06:00.
        Assert.Equal(new DataInterval(D(1, 2, 6), D(1, 3, 6)), weekdays.NextInterval(Start, null));
        Assert.Equal(new DataInterval(D(1, 6, 6), D(1, 9, 6)), weekdays.NextInterval(Start, D(1, 6, 6)));
        Assert.Equal(new DataInterval(D(1, 5, 6), D(1, 6, 6)), weekdays.LatestCompleteInterval(Start, D(1, 7, 12)));
        Assert.Null(weekdays.LatestCompleteInterval(Start, D(1, 3, 5)));
    }

    [Theory]
    [InlineData("@daily", 1)]
    [InlineData("@hourly", 0)]
    [InlineData("@weekly", 7)]
    public void Presets_are_cron(string preset, int days)
    {
        var interval = DagSchedule.Cron(preset).NextInterval(Start, null)!.Value;
        Assert.Equal(Start, interval.Start);
        Assert.Equal(days == 0 ? TimeSpan.FromHours(1) : TimeSpan.FromDays(days), interval.End - interval.Start);
    }

    [Fact]
    public void Cron_in_a_time_zone_follows_local_midnight()
    {
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var interval = DagSchedule.Cron("0 0 * * *", paris).NextInterval(Start, null)!.Value;
        Assert.Equal(new DateTimeOffset(2023, 1, 1, 23, 0, 0, TimeSpan.Zero), interval.Start);
    }

    [Fact]
    public void Latest_complete_interval_of_a_minutely_cron_years_later_is_found_quickly()
    {
        var interval = DagSchedule.Cron("* * * * *").LatestCompleteInterval(Start, new DateTimeOffset(2026, 5, 1, 12, 30, 30, TimeSpan.Zero))!.Value;
        Assert.Equal(new DateTimeOffset(2026, 5, 1, 12, 29, 0, TimeSpan.Zero), interval.Start);
    }

    [Fact]
    public void Once_runs_one_interval()
    {
        var once = DagSchedule.Cron("@once");
        Assert.Equal(new DataInterval(Start, Start), once.NextInterval(Start, null));
        Assert.Null(once.NextInterval(Start, Start));
    }

    [Fact]
    public void Bad_schedules_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => DagSchedule.Cron("61 * * * *"));
        Assert.Throws<ArgumentOutOfRangeException>(() => DagSchedule.Every(TimeSpan.Zero));
    }
}
