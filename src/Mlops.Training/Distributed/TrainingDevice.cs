namespace Mlops.Training.Distributed;

/// <summary>Which kind of device a <see cref="MultiWorkerMirroredStrategy"/> trains on.</summary>
public enum TrainingDevice
{
    /// <summary>The GPU of the worker's local rank when CUDA is available, otherwise the CPU.</summary>
    Auto = 0,

    /// <summary>The CPU.</summary>
    Cpu = 1,

    /// <summary>The GPU of the worker's local rank (<c>cuda:{LOCAL_RANK}</c>); an error when CUDA is absent.</summary>
    Cuda = 2,
}
