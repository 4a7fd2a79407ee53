using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Models;

public class FlatParametersTests
{
    public FlatParametersTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Parameters_and_gradients_are_views_of_the_flat_buffers()
    {
        using var model = Sequential.Input(4).Dense(3, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 1);
        var flat = model.Flat;
        Assert.Equal((4 * 3) + 3 + 3 + 1, flat.Count);
        Assert.Equal(flat.Count, model.ParameterCount);

        using var scope = NewDisposeScope();
        var output = model.Module.forward(randn(5, 4, dtype: ScalarType.Float32));
        output.sum().backward();

        // The gradients autograd produced are in the flat buffer, parameter after parameter.
        var concatenated = cat(model.Module.parameters().Select(parameter => parameter.grad!.reshape(-1)).ToList(), 0);
        Assert.True(concatenated.eq(flat.ParameterGradients).all().item<bool>());
        Assert.True(flat.ParameterGradients.abs().sum().item<float>() > 0);

        // Writing the flat values changes the module's parameters (shared storage, no copy).
        using (no_grad())
        {
            flat.Values.add_(1.0);
        }

        var parameters = cat(model.Module.parameters().Select(parameter => parameter.reshape(-1)).ToList(), 0);
        Assert.True(parameters.eq(flat.Values).all().item<bool>());
        var first = model.Module.parameters().First();
        Assert.True(SameAddress(flat.Values, first), "the first parameter does not start at the flat buffer's first value");
    }

    private static unsafe bool SameAddress(Tensor a, Tensor b) =>
        System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a.bytes))
        == System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b.bytes));

    [Fact]
    public void An_optimizer_step_on_the_flat_buffer_moves_every_parameter_against_its_gradient()
    {
        using var model = Sequential.Input(4).Dense(3, Activation.Tanh).Dense(2).Build(seed: 2).Compile(Optimizer.Sgd(0.5), Loss.MeanSquaredError);
        using var scope = NewDisposeScope();
        var before = model.Module.parameters().Select(parameter => parameter.detach().clone()).ToList();
        model.Flat.ZeroGradients();
        model.Module.forward(ones(2, 4)).pow(2).sum().backward();
        var gradients = model.Module.parameters().Select(parameter => parameter.grad!.clone()).ToList();
        model.Optimizer!.Step();
        var after = model.Module.parameters().ToList();
        for (var i = 0; i < after.Count; i++)
        {
            var expected = before[i] - (0.5 * gradients[i]);
            Assert.True(after[i].allclose(expected, rtol: 0, atol: 1e-6), $"parameter {i} did not take the SGD step");
        }
    }

    [Fact]
    public void Gradients_accumulate_into_the_flat_buffer_until_zeroed()
    {
        using var model = Sequential.Input(2).Dense(1).Build(seed: 3);
        using var scope = NewDisposeScope();
        var input = ones(1, 2);
        model.Module.forward(input).sum().backward();
        var once = model.Flat.ParameterGradients.clone();
        model.Module.forward(input).sum().backward();
        Assert.True(model.Flat.ParameterGradients.allclose(once * 2));
        model.Flat.ZeroGradients();
        Assert.Equal(0f, model.Flat.ParameterGradients.abs().sum().item<float>());
    }
}
