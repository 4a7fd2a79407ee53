using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.ML;
using Microsoft.ML.Data;
using Mlops.Features;

namespace Mlops.MLNet.Tests.Frames;

public class MlNetTrainingTests
{
    [Fact]
    public void TrainsABinaryClassifierOnAssembledFeatures()
    {
        var train = Assemble(Synthetic(seed: 11, rows: 3_000));
        var test = Assemble(Synthetic(seed: 12, rows: 1_000));
        var ml = new MLContext(seed: 1);

        var model = ml.BinaryClassification.Trainers
            .LbfgsLogisticRegression(labelColumnName: "label", featureColumnName: "features")
            .Fit(train.ToDataView());
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(test.ToDataView()), labelColumnName: "label");

        Assert.True(metrics.Accuracy > 0.9, $"accuracy {metrics.Accuracy}");
        Assert.True(metrics.AreaUnderRocCurve > 0.95, $"AUC {metrics.AreaUnderRocCurve}");

        // The learned weights follow the signs of the generating rule (age +, price -, premium +).
        var weights = model.Model.SubModel.Weights.ToArray();
        Assert.True(weights[0] > 0 && weights[1] < 0 && weights[2] > 0, string.Join(", ", weights));
    }

    [Fact]
    public void MlNetTransformsRunOnTheView()
    {
        var frame = Assemble(Synthetic(seed: 5, rows: 500));
        var ml = new MLContext(seed: 1);

        var normalized = ml.Transforms.NormalizeMinMax("features").Fit(frame.ToDataView()).Transform(frame.ToDataView());

        var vectors = normalized.GetColumn<float[]>("features").ToList();
        Assert.Equal(500, vectors.Count);
        for (var slot = 0; slot < 3; slot++)
        {
            var values = vectors.Select(v => v[slot]).ToList();
            Assert.All(values, v => Assert.InRange(v, -1f, 1f));
            Assert.Equal(1f, values.Max(Math.Abs), 3);
        }

        VBuffer<ReadOnlyMemory<char>> names = default;
        normalized.Schema["features"].GetSlotNames(ref names);
        Assert.Equal(["age", "price", "premium"], names.DenseValues().Select(n => n.ToString()));
    }

    [Fact]
    public void CreateEnumerableReadsTypedRows()
    {
        var frame = Assemble(Synthetic(seed: 3, rows: 10));
        var ml = new MLContext(seed: 1);

        var rows = ml.Data.CreateEnumerable<Example>(frame.ToDataView(new FrameDataViewOptions { Columns = ["features", "label", "age"] }), reuseRowObject: false).ToList();

        var expected = frame.Collect();
        Assert.Equal(10, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal((bool)expected[i]["label"]!, rows[i].Label);
            Assert.Equal((double)expected[i]["age"]!, rows[i].Age);
            Assert.Equal(((double[])expected[i]["features"]!).Select(x => (float)x), rows[i].Features);
        }
    }

    // Label: a noisy linear rule over age, price and a premium flag, so a linear model can learn it well but not perfectly.
    private static Frame Synthetic(int seed, int rows)
    {
        var random = new Random(seed);
        var schema = new Schema(
            [new Field("age", DoubleType.Default, false), new Field("price", DoubleType.Default, false), new Field("premium", BooleanType.Default, false), new Field("label", BooleanType.Default, false)],
            null);
        var data = Enumerable.Range(0, rows).Select(_ =>
        {
            var age = random.NextDouble() * 60 + 18;
            var price = random.NextDouble() * 100;
            var premium = random.NextDouble() < 0.3;
            var score = (0.08 * (age - 48)) - (0.05 * (price - 50)) + (premium ? 1.0 : 0.0) - 0.3 + (random.NextDouble() - 0.5) * 0.4;
            return (IReadOnlyList<object?>)[age, price, premium, score > 0];
        }).ToList();
        return Frame.FromRows(schema, data, batchSize: 256);
    }

    private static Frame Assemble(Frame frame) =>
        new VectorAssembler().SetInputCols("age", "price", "premium").SetOutputCol("features").Transform(frame);

    private sealed class Example
    {
        [ColumnName("features")]
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        [ColumnName("label")]
        public bool Label { get; set; }

        [ColumnName("age")]
        public double Age { get; set; }
    }
}
