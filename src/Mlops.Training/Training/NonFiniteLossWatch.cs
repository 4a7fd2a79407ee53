using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// Finds the first step whose loss is NaN or infinite without a host read per step on a GPU. On the CPU a read is a
/// memory load, so each step's loss is checked at once. On CUDA each step's loss is copied into a small device ring
/// (one kernel) and the ring is read every <see cref="CudaInterval"/> steps and at the end of each epoch; the error
/// still names the exact step.
/// </summary>
internal sealed class NonFiniteLossWatch : IDisposable
{
    public const int CudaInterval = 32;
    private readonly bool _immediate;
    private readonly Tensor? _ring;
    private readonly Tensor[] _slots;
    private readonly long[] _steps = new long[CudaInterval];
    private int _filled;

    public NonFiniteLossWatch(Device device)
    {
        _immediate = device.type == DeviceType.CPU;
        if (_immediate)
        {
            _slots = [];
        }
        else
        {
            _ring = zeros(CudaInterval, ScalarType.Float64, device);
            _slots = Enumerable.Range(0, CudaInterval).Select(i => _ring.narrow(0, i, 1)).ToArray();
        }
    }

    /// <summary>Records a step's loss; returns the step of a non-finite loss found now, or null.</summary>
    public long? Record(Tensor loss, long step)
    {
        if (_immediate)
        {
            // Read in place: no scalar or accessor object per step.
            var bytes = loss.bytes;
            var finite = bytes.Length == sizeof(double) ? double.IsFinite(MemoryMarshal.Read<double>(bytes)) : float.IsFinite(MemoryMarshal.Read<float>(bytes));
            return finite ? null : step;
        }

        _slots[_filled].copy_(loss.reshape(1));
        _steps[_filled] = step;
        _filled++;
        return _filled == CudaInterval ? Flush() : null;
    }

    /// <summary>Checks the losses recorded since the last check; returns the first non-finite one's step, or null.</summary>
    public long? Flush()
    {
        if (_ring is null || _filled == 0)
        {
            return null;
        }

        using var host = _ring.cpu();
        var values = host.data<double>().ToArray();
        var count = _filled;
        _filled = 0;
        for (var i = 0; i < count; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                return _steps[i];
            }
        }

        return null;
    }

    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.Dispose();
        }

        _ring?.Dispose();
    }
}
