namespace Mlops.Pipelines;

/// <summary>Options of <see cref="PipelineScheduler"/>.</summary>
public sealed class SchedulerOptions
{
    /// <summary>The longest the scheduler sleeps between passes when nothing is due sooner (it also wakes when a run ends or is triggered); 1 minute by default.</summary>
    public TimeSpan MaxSleep { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether runs left running by a crashed or stopped process are resumed when the scheduler starts; true by default.</summary>
    public bool ResumeOnStart { get; set; } = true;

    internal void Validate()
    {
        if (MaxSleep <= TimeSpan.Zero)
        {
            throw new System.ComponentModel.DataAnnotations.ValidationException($"SchedulerOptions.MaxSleep must be positive; got {MaxSleep}.");
        }
    }
}

/// <summary>The scheduler finished a pass and is waiting; raised after its wake-up timer is armed.</summary>
public sealed class SchedulerIdleEventArgs : EventArgs
{
    internal SchedulerIdleEventArgs(DateTimeOffset wakeUpAt)
    {
        WakeUpAt = wakeUpAt;
    }

    /// <summary>When the scheduler wakes up next unless a run ends or is triggered first.</summary>
    public DateTimeOffset WakeUpAt { get; }
}
