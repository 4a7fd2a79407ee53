using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Testing.Tracking;
using Mlops.Tracking;
using Mlops.Tracking.Models;
using Mlops.Tracking.Registry;
using Mlops.Tracking.Stores;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Models;

public sealed class ModelFlavorRegistryTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Saves strings that start with its prefix as one text file.</summary>
    private sealed class TextFlavor(string name, string prefix) : IModelFlavor
    {
        public TextFlavor()
            : this("text", "text:")
        {
        }

        public string Name { get; } = name;

        public bool CanSave(object model) => model is string text && text.StartsWith(prefix, StringComparison.Ordinal);

        public async Task<JsonObject> SaveAsync(object model, string directory, CancellationToken cancellationToken = default)
        {
            Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(Path.Combine(directory, "model.txt"), (string)model, cancellationToken);
            return new JsonObject { ["file"] = "model.txt" };
        }

        public async Task<ILoadedModel> LoadAsync(string directory, ModelManifest manifest, CancellationToken cancellationToken = default) =>
            new LoadedText(manifest, Name, await File.ReadAllTextAsync(Path.Combine(directory, "model.txt"), cancellationToken));
    }

    private sealed record LoadedText(ModelManifest Manifest, string Flavor, string Text) : ILoadedModel
    {
        public void Dispose()
        {
        }
    }

    [Fact]
    public void A_client_without_flavors_refuses_to_log_naming_the_type_and_how_to_add_one()
    {
        using var tracking = new TrackingClient(_folder.Combine("mlflow.db"));
        using var run = tracking.StartRun();
        var error = Assert.Throws<MlflowException>(() => run.LogModel("text:hello"));
        Assert.Contains("System.String", error.Message, StringComparison.Ordinal);
        Assert.Contains("Registered flavors: []", error.Message, StringComparison.Ordinal);
        Assert.Contains("client.Flavors.Add", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Flavors_are_per_client_so_a_second_client_does_not_see_the_first_ones()
    {
        using var withText = new TrackingClient(_folder.Combine("mlflow.db")) { Flavors = ModelFlavorRegistry.Create(new TextFlavor()) };
        using var plain = new TrackingClient(_folder.Combine("mlflow.db"));
        string uri;
        using (var run = withText.StartRun())
        {
            uri = run.LogModel("text:hello").ModelUri;
        }

        using (var loaded = Assert.IsType<LoadedText>(withText.LoadModel(uri)))
        {
            Assert.Equal("text:hello", loaded.Text);
        }

        var error = Assert.Throws<MlflowException>(() => plain.LoadModel(uri));
        Assert.Contains("[text]", error.Message, StringComparison.Ordinal);
        plain.Flavors.Add(new TextFlavor());
        using var later = Assert.IsType<LoadedText>(plain.LoadModel(uri));
        Assert.Equal("text", later.Flavor);
    }

    [Fact]
    public void Add_replaces_a_flavor_of_the_same_name_and_TryAdd_keeps_the_first()
    {
        var first = new TextFlavor("text", "a:");
        var second = new TextFlavor("text", "b:");
        var registry = ModelFlavorRegistry.Create(first, new TextFlavor("other", "c:"));
        Assert.False(registry.TryAdd(second));
        Assert.Same(first, registry.ForModel("a:1"));
        registry.Add(second);
        Assert.Equal(["other", "text"], registry.All.Select(f => f.Name));
        Assert.Same(second, registry.ForModel("b:1"));
        Assert.Throws<MlflowException>(() => registry.ForModel("a:1"));
        Assert.Throws<ArgumentException>(() => registry.Add(new TextFlavor(" ", "x")));
    }

    [Fact]
    public void The_containers_client_uses_the_flavors_added_through_the_builder_whatever_the_order()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITrackingStore, InMemoryTrackingStore>();
        services.AddSingleton<IModelRegistryStore, InMemoryModelRegistryStore>();
        services.AddMlops().AddModelFlavor<TextFlavor>();
        services.AddMlops().AddTracking(o => o.TrackingUri = "sqlite:///unused.db");
        services.AddMlops().AddModelFlavor<TextFlavor>();
        using var provider = services.BuildServiceProvider();
        var tracking = provider.GetRequiredService<TrackingClient>();
        Assert.Same(provider.GetRequiredService<ModelFlavorRegistry>(), tracking.Flavors);
        Assert.Equal(["text"], tracking.Flavors.All.Select(f => f.Name));
        using var run = tracking.StartRun();
        Assert.Equal("text", run.LogModel("text:x").Manifest.Flavors.Keys.Single());
    }
}
