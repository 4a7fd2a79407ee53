using Microsoft.ML.OnnxRuntime;
using Mlops.Training;
using static TorchSharp.torch;

namespace Mlops.Onnx.Tests;

/// <summary>Models with non-trivial weights and statistics, inputs from a fixed seed, and ONNX Runtime runs of an export.</summary>
internal static class OnnxTestModels
{
    /// <summary>The seed's shape: Dense/ReLU/BatchNorm/Dropout/Dense/Sigmoid over 42 float inputs.</summary>
    public static Sequential SeedLike => Sequential.Input(42).Dense(64).Activate(Activation.Relu).BatchNorm().Dropout(0.3).Dense(1, Activation.Sigmoid);

    /// <summary>Builds the model and moves every weight and batch-norm statistic off its initial value (running variances positive).</summary>
    public static Model Build(Sequential description, long seed = 7)
    {
        var model = description.Build(seed);
        using var generator = new Generator((ulong)seed + 1, CPU);
        using (no_grad())
        {
            foreach (var (name, tensor) in model.NamedTensors())
            {
                if (name.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                {
                    continue;
                }

                if (name.EndsWith(".running_var", StringComparison.Ordinal))
                {
                    tensor.uniform_(0.5, 2.0, generator);
                }
                else
                {
                    tensor.uniform_(-0.8, 0.8, generator);
                }
            }
        }

        return model;
    }

    /// <summary>Rows of uniform values in [-2, 2), or integer ids in [0, vocabulary) for the given columns.</summary>
    public static float[][] Inputs(int rows, int width, int seed = 1234, IReadOnlyDictionary<int, int>? idColumns = null)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, width).Select(column =>
            idColumns is not null && idColumns.TryGetValue(column, out var vocabulary)
                ? random.Next(vocabulary)
                : (float)((random.NextDouble() * 4) - 2)).ToArray()).ToArray();
    }

    /// <summary>Runs ONNX bytes on ONNX Runtime with one [rows, width] float input.</summary>
    public static float[][] RunOnnx(byte[] onnx, float[][] rows, string input = "input", string output = "output")
    {
        using var session = new InferenceSession(onnx);
        var width = rows[0].Length;
        var flat = rows.SelectMany(r => r).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(flat, [rows.Length, width]);
        using var results = session.Run(new RunOptions(), [input], [value], [output]);
        var shape = results[0].GetTensorTypeAndShape().Shape;
        Assert.Equal(2, shape.Length);
        Assert.Equal(rows.Length, shape[0]);
        var data = results[0].GetTensorDataAsSpan<float>().ToArray();
        var outWidth = (int)shape[1];
        return Enumerable.Range(0, rows.Length).Select(i => data.AsSpan(i * outWidth, outWidth).ToArray()).ToArray();
    }

    public static void AssertClose(float[][] expected, float[][] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (var j = 0; j < expected[i].Length; j++)
            {
                Assert.True(Math.Abs(expected[i][j] - actual[i][j]) <= tolerance, $"row {i}, output {j}: TorchSharp {expected[i][j]}, ONNX Runtime {actual[i][j]} (tolerance {tolerance})");
            }
        }
    }
}
