using Mlops.Training.Callbacks;
using Mlops.Training.Distributed;
using Mlops.Training.Runtime;
using Mlops.Training.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Models;

public class SequentialTests
{
    public SequentialTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void The_seed_model_is_a_PyTorch_shaped_sequential_with_Keras_initialisation()
    {
        using var model = Sequential.Input(10).Dense(64, Activation.Relu).Dense(64, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 1);

        var names = model.NamedTensors().Select(entry => entry.Name).ToList();
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], names);
        Assert.Equal((10 * 64) + 64 + (64 * 64) + 64 + 64 + 1, model.ParameterCount);
        Assert.Equal(1, model.OutputWidth);
        Assert.Equal(ScalarType.Float32, model.ElementType);
        var kernel = model.NamedTensors().Single(entry => entry.Name == "0.weight").Tensor;
        var limit = Math.Sqrt(6.0 / (10 + 64));
        Assert.True(kernel.abs().max().item<float>() <= limit);
        Assert.True(kernel.abs().max().item<float>() > limit * 0.9);
        Assert.Equal(0f, model.NamedTensors().Single(entry => entry.Name == "0.bias").Tensor.abs().sum().item<float>());
    }

    [Fact]
    public void A_seed_gives_the_same_weights_and_no_seed_different_ones()
    {
        using var a = Sequential.Input(5).Dense(3).Build(seed: 42);
        using var b = Sequential.Input(5).Dense(3).Build(seed: 42);
        using var c = Sequential.Input(5).Dense(3).Build(seed: 43);
        Assert.True(a.Flat.Values.eq(b.Flat.Values).all().item<bool>());
        Assert.False(a.Flat.Values.eq(c.Flat.Values).all().item<bool>());
    }

    [Fact]
    public void Every_activation_matches_its_function()
    {
        using var input = tensor(new[] { -2.0, -0.5, 0, 0.5, 2.0 }, [1, 5]);
        foreach (var (activation, expected) in new (Activation, Func<Tensor, Tensor>)[]
        {
            (Activation.Linear, x => x),
            (Activation.Relu, x => x.relu()),
            (Activation.Sigmoid, x => x.sigmoid()),
            (Activation.Tanh, x => x.tanh()),
            (Activation.Softmax, x => x.softmax(1)),
            (Activation.Gelu, x => nn.functional.gelu(x)),
            (Activation.LeakyRelu, x => nn.functional.leaky_relu(x, 0.2)),
            (Activation.Leaky(0.01), x => nn.functional.leaky_relu(x, 0.01)),
        })
        {
            using var model = Sequential.Input(5, ScalarType.Float64).Activate(activation).Build();
            using var output = model.Predict(input);
            Assert.True(output.allclose(expected(input)), $"{activation}");
        }

        Assert.Equal(Activation.Leaky(0.3), Activation.FromName("leaky_relu", 0.3));
        Assert.Throws<ArgumentException>(() => Activation.FromName("swishy"));
    }

    [Fact]
    public void Builder_rejects_invalid_layers_naming_them()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sequential.Input(0));
        Assert.Throws<ArgumentException>(() => Sequential.Input(3, ScalarType.Int32));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sequential.Input(3).Dense(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sequential.Input(3).Dropout(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sequential.Input(3).Embed(3, 10, 2));
        Assert.Throws<ArgumentException>(() => Sequential.Input(3).Embed(1, 10, 2).Embed(1, 5, 2));
        var late = Assert.Throws<InvalidOperationException>(() => Sequential.Input(3).Dense(4).Embed(0, 10, 2));
        Assert.Contains("must come right after Input", late.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => Sequential.Input(3).Build());
    }

    [Fact]
    public void Embeddings_replace_their_id_columns_and_join_the_dense_ones()
    {
        // Columns: 0 = user id (vocabulary 5), 1 = a dense value, 2 = product id (vocabulary 7).
        var description = Sequential.Input(3, ScalarType.Float64).Embed(column: 0, vocabularySize: 5, dimension: 2).Embed(column: 2, vocabularySize: 7, dimension: 3);
        Assert.Equal(2 + 3 + 1, description.OutputWidth);
        using var model = description.Build(seed: 5);
        Assert.Equal(["0.embeddings.0.weight", "0.embeddings.1.weight"], model.NamedTensors().Select(entry => entry.Name));

        using var input = tensor(new[] { 4.0, 0.25, 6.0, 0.0, -1.5, 2.0 }, [2, 3]);
        using var output = model.Predict(input);
        var users = model.NamedTensors()[0].Tensor;
        var products = model.NamedTensors()[1].Tensor;
        using var expected = cat([stack([users[4], users[0]]), stack([products[6], products[2]]), tensor(new[] { 0.25, -1.5 }, [2, 1])], 1);
        Assert.True(output.allclose(expected));
    }

    [Fact]
    public void Embedding_looks_up_every_column_in_one_table_and_flattens_like_Keras()
    {
        var description = Sequential.Input(3, ScalarType.Float64).Embedding(vocabularySize: 6, dimension: 2).Dense(1, Activation.Sigmoid);
        using var model = description.Build(seed: 8);
        Assert.Equal(["0.weight", "2.weight", "2.bias"], model.NamedTensors().Select(entry => entry.Name));
        var table = model.NamedTensors()[0].Tensor;
        Assert.Equal([6L, 2L], table.shape);

        using var input = tensor(new[] { 5.0, 0, 3 }, [1, 3]);
        using var embedded = model.Module.named_children().First().module is nn.Module<Tensor, Tensor> stage ? stage.forward(input) : throw new InvalidOperationException();
        Assert.Equal([1L, 3L, 2L], embedded.shape);
        Assert.True(embedded.reshape(1, 6).allclose(cat([table[5], table[0], table[3]], 0).reshape(1, 6)));

        var error = Assert.Throws<ArgumentException>(() => model.Predict(new[] { new float[] { 1, 6, 0 } }));
        Assert.Contains("input column 1 holds id 6 at row 0", error.Message, StringComparison.Ordinal);
        var before = table.clone();
        model.Compile(Optimizer.Sgd(0.5), Loss.BinaryCrossEntropy);
        var ids = Enumerable.Range(0, 12).Select(i => new double[] { i % 6, (i + 1) % 6, (i + 2) % 6 }).ToArray();
        model.Fit(new ArrayDataset(ids, ids.Select(row => row[0] < 3 ? 1.0 : 0).ToArray()).Batch(4), verbose: Verbosity.Silent);
        Assert.False(table.eq(before).all().item<bool>(), "the shared table did not train");
        Assert.Throws<InvalidOperationException>(() => Sequential.Input(3).Dense(2).Embedding(4, 2));
        Assert.Throws<InvalidOperationException>(() => Sequential.Input(3).Embedding(4, 2).Embed(0, 4, 2));
    }

    [Fact]
    public void An_id_outside_the_vocabulary_is_an_error_naming_column_id_and_batch()
    {
        var features = Enumerable.Range(0, 16).Select(i => new[] { (double)(i % 5), i / 16.0 }).ToArray();
        features[11][0] = 5;
        var labels = Enumerable.Range(0, 16).Select(i => (double)(i % 2)).ToArray();
        using var model = Sequential.Input(2).Embed(0, vocabularySize: 5, dimension: 4).Dense(1, Activation.Sigmoid).Build(seed: 2)
            .Compile(Optimizer.Adam(), Loss.BinaryCrossEntropy);

        var error = Assert.Throws<ReplicaFailedException>(() => model.Fit(new ArrayDataset(features, labels).Batch(4), verbose: Verbosity.Silent));

        Assert.Contains("epoch 1, step 3: batch pass 0, batch 2 of the training dataset: input column 0 holds id 5 at row 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("integers in [0, 5)", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, model.Optimizer!.Iterations);

        features[11][0] = 2.5;
        var fractional = Assert.Throws<ArgumentException>(() => model.Predict(features.Select(row => row.Select(value => (float)value).ToArray()).ToArray()));
        Assert.Contains("holds id 2.5 at row 11", fractional.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recommendation_model_with_embeddings_learns_per_user_preferences()
    {
        // Each of 8 users likes odd or even products; only an embedding can learn which.
        var random = new Random(3);
        var features = new double[400][];
        var labels = new double[400];
        for (var i = 0; i < features.Length; i++)
        {
            var user = random.Next(8);
            var product = random.Next(10);
            features[i] = [user, product, random.NextDouble()];
            labels[i] = (user % 2) == (product % 2) ? 1 : 0;
        }

        using var model = Sequential.Input(3).Embed(0, 8, 4).Embed(1, 10, 4).Dense(16, Activation.Relu).Dense(1, Activation.Sigmoid).Build(seed: 4)
            .Compile(Optimizer.Adam(0.02), Loss.BinaryCrossEntropy, Metric.Accuracy);

        var history = model.Fit(new ArrayDataset(features, labels).Shuffle(1).Batch(32), epochs: 30, verbose: Verbosity.Silent);

        Assert.True(history["accuracy"][^1] > 0.95, $"accuracy {history["accuracy"][^1]}");
    }

    [Fact]
    public void Batch_norm_and_dropout_train_and_behave_as_identity_or_moving_statistics_in_inference()
    {
        var (features, labels) = TestData.Separable(128);
        using var model = Sequential.Input(10).Dense(16).BatchNorm().Activate(Activation.Relu).Dropout(0.5).Dense(1, Activation.Sigmoid).Build(seed: 6)
            .Compile(Optimizer.Adam(0.01), Loss.BinaryCrossEntropy, Metric.Accuracy);
        Assert.Contains("1.running_mean", model.NamedTensors().Select(entry => entry.Name));
        Assert.NotNull(model.Flat.Buffers);

        var history = model.Fit(new ArrayDataset(features, labels).Batch(16), epochs: 10, verbose: Verbosity.Silent);

        Assert.True(history["accuracy"][^1] > 0.85, $"accuracy {history["accuracy"][^1]}");
        var runningMean = model.NamedTensors().Single(entry => entry.Name == "1.running_mean").Tensor;
        Assert.True(runningMean.abs().sum().item<float>() > 0);
        using var input = randn(4, 10);
        using var first = model.Predict(input);
        using var second = model.Predict(input);
        Assert.True(first.eq(second).all().item<bool>());
    }

    [Fact]
    public void Any_TorchSharp_module_can_be_wrapped_and_trained()
    {
        var (features, labels) = TestData.Separable(128);
        var module = nn.Sequential(("hidden", nn.Linear(10, 8)), ("act", nn.Tanh()), ("out", nn.Linear(8, 1)));
        using var model = Model.FromModule(module, 10, ScalarType.Float64).Compile(Optimizer.Adam(0.02), Loss.BinaryCrossEntropyFromLogits, Metric.BinaryAccuracy);

        Assert.Null(model.Description);
        Assert.Equal(1, model.OutputWidth);
        Assert.Equal(ScalarType.Float64, model.ElementType);
        var history = model.Fit(new ArrayDataset(features, labels).Batch(16), epochs: 8, verbose: Verbosity.Silent);

        Assert.True(history["loss"][^1] < history["loss"][0]);
        Assert.Equal(ScalarType.Float64, module.parameters().First().dtype);
    }

    [Fact]
    public void A_module_that_does_not_take_the_input_width_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Model.FromModule(nn.Linear(4, 2), 5));
        Assert.Contains("cannot take inputs of width 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_built_in_a_scope_takes_its_replica_context()
    {
        var group = new ThreadReplicaGroup(1);
        using var scope = ReplicaScope.Enter(group.Replica(0));
        using var model = Sequential.Input(2).Dense(1).Build();
        Assert.Same(ReplicaScope.Current, model.Context);
    }
}
