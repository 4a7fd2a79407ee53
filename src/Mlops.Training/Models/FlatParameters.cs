using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mlops.Training;

/// <summary>
/// Keeps every trainable parameter of a module, and its gradient, as a view into one contiguous tensor each, so the
/// optimizer runs a few whole-buffer kernels and the gradient buffer is the all-reduce bucket itself (no copies).
/// Parameters are re-pointed with <c>Tensor.set_</c> (their storage becomes a slice of <see cref="Values"/>) and their
/// <c>.grad</c> is set to a slice of <see cref="Gradients"/>; autograd then accumulates into that slice in place,
/// which is why the gradients are zeroed (<see cref="ZeroGradients"/>) instead of set to none. Floating-point buffers
/// (batch-norm running statistics) are flattened the same way into <see cref="Buffers"/> so replicas can average them.
/// The gradient buffer may carry a tail after the gradients (<see cref="TailLength"/>) for per-step statistics that
/// travel in the same all-reduce.
/// </summary>
internal sealed class FlatParameters : IDisposable
{
    private readonly List<Entry> _parameters = [];
    private readonly List<Entry> _buffers = [];
    private readonly List<Tensor> _views = [];
    private readonly List<Tensor> _gradientViews = [];
    private Tensor _gradients;
    private Tensor _parameterGradients;
    private Tensor _tail;

    public FlatParameters(nn.Module module, Device device, ScalarType elementType)
    {
        long offset = 0;
        foreach (var (name, parameter) in module.named_parameters())
        {
            if (!parameter.requires_grad)
            {
                continue;
            }

            CheckTensor(name, parameter, device, elementType);
            _parameters.Add(new Entry(name, parameter, offset, parameter.numel(), parameter.shape));
            offset += parameter.numel();
        }

        Count = offset;
        Values = zeros(Count, elementType, device);
        long bufferOffset = 0;
        foreach (var (name, buffer) in module.named_buffers())
        {
            if (buffer.dtype == elementType)
            {
                _buffers.Add(new Entry(name, buffer, bufferOffset, buffer.numel(), buffer.shape));
                bufferOffset += buffer.numel();
            }
        }

        Buffers = bufferOffset == 0 ? null : zeros(bufferOffset, elementType, device);
        using (no_grad())
        {
            Adopt(_parameters, Values);
            if (Buffers is not null)
            {
                Adopt(_buffers, Buffers);
            }
        }

        _gradients = zeros(Count, elementType, device);
        _parameterGradients = _gradients.narrow(0, 0, Count);
        _tail = _gradients.narrow(0, Count, 0);
        BindGradients();
    }

    /// <summary>Trainable parameter values, all parameters back to back in <c>named_parameters</c> order.</summary>
    public Tensor Values { get; }

    /// <summary>The whole gradient buffer: the parameters' gradients, then the tail of <see cref="TailLength"/> values.</summary>
    public Tensor Gradients => _gradients;

    /// <summary>The gradients only (the first <see cref="Count"/> values of <see cref="Gradients"/>).</summary>
    public Tensor ParameterGradients => _parameterGradients;

    /// <summary>The tail after the gradients (empty unless <see cref="SetTailLength"/> made one).</summary>
    public Tensor Tail => _tail;

    /// <summary>Values in the tail.</summary>
    public int TailLength => (int)(_gradients.shape[0] - Count);

    /// <summary>Floating-point buffers (batch-norm running statistics) back to back, or null when the module has none.</summary>
    public Tensor? Buffers { get; }

    /// <summary>The number of trainable parameter values.</summary>
    public long Count { get; }

    /// <summary>The trainable parameters with their place in <see cref="Values"/>.</summary>
    public IReadOnlyList<Entry> Parameters => _parameters;

    /// <summary>Makes the gradient buffer <see cref="Count"/> + <paramref name="length"/> long (kept when it already is).</summary>
    public void SetTailLength(int length)
    {
        if (length == TailLength)
        {
            return;
        }

        var gradients = zeros(Count + length, Values.dtype, Values.device);
        _parameterGradients.Dispose();
        _tail.Dispose();
        _gradients.Dispose();
        _gradients = gradients;
        _parameterGradients = _gradients.narrow(0, 0, Count);
        _tail = _gradients.narrow(0, Count, length);
        BindGradients();
    }

    /// <summary>
    /// Points every parameter's <c>.grad</c> at its slice of the gradient buffer again (something outside, such as
    /// <c>zero_grad(set_to_none: true)</c>, may have replaced it). Called at the start of training.
    /// </summary>
    public void BindGradients()
    {
        foreach (var view in _gradientViews)
        {
            view.Dispose();
        }

        _gradientViews.Clear();
        foreach (var entry in _parameters)
        {
            var view = _parameterGradients.narrow(0, entry.Offset, entry.Length).view(entry.Shape);
            entry.Tensor.grad = view;
            _gradientViews.Add(view);
        }
    }

    /// <summary>Zeroes the gradients and the tail with one kernel.</summary>
    public void ZeroGradients() => _gradients.zero_();

    public void Dispose()
    {
        foreach (var view in _views.Concat(_gradientViews))
        {
            view.Dispose();
        }

        _parameterGradients.Dispose();
        _tail.Dispose();
        _gradients.Dispose();
        Values.Dispose();
        Buffers?.Dispose();
    }

    private void Adopt(List<Entry> entries, Tensor flat)
    {
        foreach (var entry in entries)
        {
            var view = flat.narrow(0, entry.Offset, entry.Length).view(entry.Shape);
            view.copy_(entry.Tensor);
            entry.Tensor.set_(view);
            _views.Add(view);
        }
    }

    private static void CheckTensor(string name, Tensor tensor, Device device, ScalarType elementType)
    {
        if (tensor.dtype != elementType)
        {
            throw new ArgumentException($"Parameter '{name}' is {tensor.dtype}, but the model's element type is {elementType}: convert the module (module.to({elementType})) before wrapping it.");
        }

        if (tensor.device_type != device.type || (device.type == DeviceType.CUDA && tensor.device_index != device.index && device.index >= 0))
        {
            throw new ArgumentException($"Parameter '{name}' is on {tensor.device}, but the model trains on {device}.");
        }
    }

    /// <summary>A parameter or buffer and its slice of the flat tensor.</summary>
    /// <param name="Name">Its <c>state_dict</c> name.</param>
    /// <param name="Tensor">The module's tensor (now a view of the flat tensor).</param>
    /// <param name="Offset">Its first element in the flat tensor.</param>
    /// <param name="Length">Its number of elements.</param>
    /// <param name="Shape">Its shape.</param>
    internal sealed record Entry(string Name, Tensor Tensor, long Offset, long Length, long[] Shape);
}
