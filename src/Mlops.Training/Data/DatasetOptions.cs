namespace Mlops.Training.Data;

/// <summary>Options that apply to a whole dataset pipeline (<see cref="Dataset.WithOptions"/>), like <c>tf.data.Options</c>.</summary>
public sealed class DatasetOptions
{
    /// <summary>How replicas divide the data; <see cref="AutoShardPolicy.Auto"/> by default.</summary>
    public AutoShardPolicy AutoShardPolicy { get; init; } = AutoShardPolicy.Auto;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(AutoShardPolicy))
        {
            throw new ArgumentOutOfRangeException(nameof(AutoShardPolicy), AutoShardPolicy, "Unknown auto-shard policy; use Auto, File, Data or Off.");
        }
    }
}
