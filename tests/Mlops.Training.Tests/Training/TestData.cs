namespace Mlops.Training.Tests.Training;

/// <summary>Deterministic synthetic data: a linearly separable binary problem like the seed's click data.</summary>
internal static class TestData
{
    public static (double[][] Features, double[] Labels) Separable(int rows, int width = 10, int seed = 7)
    {
        var random = new Random(seed);
        var weights = Enumerable.Range(0, width).Select(_ => random.NextDouble() - 0.5).ToArray();
        var features = new double[rows][];
        var labels = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            features[i] = Enumerable.Range(0, width).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
            labels[i] = features[i].Select((x, j) => x * weights[j]).Sum() > 0 ? 1 : 0;
        }

        return (features, labels);
    }
}
