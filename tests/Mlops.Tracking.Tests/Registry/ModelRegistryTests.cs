using Mlops.Tracking.Registry;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Registry;

public sealed class SqliteModelRegistryTests : ModelRegistryContractTests
{
    public SqliteModelRegistryTests()
        : base(folder => (new TrackingClient(folder.Combine("mlflow.db")), new SqliteModelRegistryStore(folder.Combine("mlflow.db"))))
    {
    }

    [Fact]
    public async Task Registry_survives_reopening()
    {
        var run = NewRun();
        Registry.RegisterModel($"runs:/{run}/model", "persist");
        Registry.SetRegisteredModelAlias("persist", "champion", "1");
        using var reopened = new SqliteModelRegistryStore(Folder.Combine("mlflow.db"));
        Assert.Equal("1", (await reopened.GetModelVersionByAliasAsync("persist", "champion")).Version);
    }

    [Fact]
    public async Task A_database_of_the_document_schema_is_migrated_to_rows()
    {
        // The first schema, as the old code wrote it: one JSON document per model (System.Text.Json's default shape of
        // its RegisteredModelDocument; Status 2 is Ready).
        var path = Folder.Combine("old.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + path + ";Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE registered_model_documents (name TEXT PRIMARY KEY, document TEXT NOT NULL) WITHOUT ROWID;
                INSERT INTO registered_model_documents VALUES ('legacy', '{"Name":"legacy","Created":100,"Updated":300,"Description":"old model","Tags":{"team":"ads"},"Aliases":{"champion":1},"LastVersion":3,"Versions":[{"Version":1,"Created":100,"Updated":150,"Description":"first","Source":"runs:/abc/model","RunId":"abc","Status":2,"Tags":{"stage":"prod"}},{"Version":3,"Created":200,"Updated":250,"Description":"","Source":"/models/m3","RunId":"","Status":2,"Tags":{}}]}');
                """;
            command.ExecuteNonQuery();
        }

        using (var store = new SqliteModelRegistryStore(path))
        {
            var model = await store.GetRegisteredModelAsync("legacy");
            Assert.Equal((100L, 300L, "old model", "ads", "1", "3"), (model.CreationTimestamp, model.LastUpdatedTimestamp, model.Description, model.Tags["team"], model.Aliases["champion"], model.LatestVersion));
            var first = await store.GetModelVersionByAliasAsync("legacy", "champion");
            Assert.Equal(("1", "first", "runs:/abc/model", "abc", "prod", ModelVersionStatus.Ready, 150L), (first.Version, first.Description, first.Source, first.RunId, first.Tags["stage"], first.Status, first.LastUpdatedTimestamp));
            Assert.Equal(["champion"], first.Aliases);

            // The deleted version 2 stays unused: the next version is 4.
            Assert.Equal("4", (await store.CreateModelVersionAsync("legacy", "/models/m4")).Version);
        }

        using var check = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + path + ";Pooling=False");
        check.Open();
        using var count = check.CreateCommand();
        count.CommandText = "SELECT (SELECT count(*) FROM model_versions WHERE name = 'legacy'), (SELECT count(*) FROM sqlite_master WHERE name = 'registered_model_documents')";
        using var reader = count.ExecuteReader();
        reader.Read();
        Assert.Equal((3L, 0L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    [Fact]
    public async Task Versions_and_tags_are_rows_so_a_write_does_not_rewrite_the_model()
    {
        using var store = new SqliteModelRegistryStore(Folder.Combine("rows.db"));
        await store.CreateRegisteredModelAsync("m");
        await store.CreateModelVersionAsync("m", "/models/1", tags: new Dictionary<string, string> { ["k"] = "v" });
        await store.SetRegisteredModelAliasAsync("m", "champion", "1");
        using var command = store.Connection.CreateCommand();
        command.CommandText = "SELECT (SELECT count(*) FROM registered_models), (SELECT count(*) FROM model_versions), (SELECT count(*) FROM model_version_tags), (SELECT count(*) FROM registered_model_aliases)";
        using var reader = command.ExecuteReader();
        reader.Read();
        Assert.Equal((1L, 1L, 1L, 1L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
    }
}

public sealed class InMemoryModelRegistryTests : ModelRegistryContractTests
{
    public InMemoryModelRegistryTests()
        : base(_ => (new TrackingClient(new Mlops.Testing.Tracking.InMemoryTrackingStore()), new Mlops.Testing.Tracking.InMemoryModelRegistryStore()))
    {
    }
}

/// <summary>The registry semantics every registry store must have; run against each.</summary>
public abstract class ModelRegistryContractTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly TrackingClient _tracking;
    private readonly IModelRegistryStore _store;
    private readonly ModelRegistryClient _registry;

    protected ModelRegistryContractTests(Func<TempFolder, (TrackingClient Tracking, IModelRegistryStore Store)> create)
    {
        (_tracking, _store) = create(_folder);
        _registry = new ModelRegistryClient(_store, _tracking);
    }

    protected TempFolder Folder => _folder;

    protected ModelRegistryClient Registry => _registry;

    public void Dispose()
    {
        (_store as IDisposable)?.Dispose();
        _tracking.Dispose();
        _folder.Dispose();
    }

    protected string NewRun()
    {
        using var run = _tracking.StartRun();
        return run.RunId;
    }

    public static TheoryData<string, string> OverLimitWrites => new()
    {
        { "model description", "description" },
        { "version description", "description" },
        { "model tag key", "Registered model tag key" },
        { "model tag value", "Registered model tag value" },
        { "version tag value", "Model version tag value" },
        { "created version tag value", "Model version tag value" },
        { "source", "source" },
        { "model name", "256" },
    };

    [Theory]
    [MemberData(nameof(OverLimitWrites))]
    public async Task Writes_over_MLflows_limits_are_refused_naming_the_field_and_limit(string write, string field)
    {
        await _store.CreateRegisteredModelAsync("m");
        await _store.CreateModelVersionAsync("m", "/models/1");
        var huge = new string('x', 10_000);
        Func<Task> action = write switch
        {
            "model description" => () => _store.UpdateRegisteredModelAsync("m", huge),
            "version description" => () => _store.CreateModelVersionAsync("m", "/models/2", description: huge),
            "model tag key" => () => _store.SetRegisteredModelTagAsync("m", new string('k', 251), "v"),
            "model tag value" => () => _store.SetRegisteredModelTagAsync("m", "k", huge),
            "version tag value" => () => _store.SetModelVersionTagAsync("m", "1", "k", huge),
            "created version tag value" => () => _store.CreateModelVersionAsync("m", "/models/2", tags: new Dictionary<string, string> { ["k"] = huge }),
            "source" => () => _store.CreateModelVersionAsync("m", "/" + huge),
            _ => () => _store.CreateRegisteredModelAsync(new string('n', 257)),
        };
        var error = await Assert.ThrowsAsync<MlflowException>(action);
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, error.ErrorCode);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.Contains(write == "model name" ? "256" : write.Contains("key", StringComparison.Ordinal) ? "250" : write == "source" ? "500" : "5000", error.Message, StringComparison.Ordinal);

        // Nothing was written: the model still has one version and no tags, and values at the limit pass.
        Assert.Equal("1", (await _store.GetRegisteredModelAsync("m")).LatestVersion);
        await _store.SetModelVersionTagAsync("m", "1", new string('k', RegistryLimits.MaxTagKeyLength), new string('v', RegistryLimits.MaxTagValueLength));
        await _store.UpdateRegisteredModelAsync("m", new string('d', RegistryLimits.MaxDescriptionLength));
    }

    [Fact]
    public async Task Control_characters_in_a_model_name_are_refused()
    {
        var error = await Assert.ThrowsAsync<MlflowException>(() => _store.CreateRegisteredModelAsync("bad\0name"));
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, error.ErrorCode);
        await Assert.ThrowsAsync<MlflowException>(() => _store.CreateRegisteredModelAsync("line\nbreak"));
    }

    [Fact]
    public void Register_versions_aliases_and_resolve_uris()
    {
        var run1 = NewRun();
        var run2 = NewRun();
        var v1 = _registry.RegisterModel($"runs:/{run1}/model", "recsys");
        var v2 = _registry.RegisterModel($"runs:/{run2}/model", "recsys", new Dictionary<string, string> { ["framework"] = "mlnet" });
        Assert.Equal("1", v1.Version);
        Assert.Equal("2", v2.Version);
        Assert.Equal(run1, v1.RunId);
        Assert.Equal("mlnet", v2.Tags["framework"]);

        _registry.SetRegisteredModelAlias("recsys", "champion", "1");
        _registry.SetRegisteredModelAlias("recsys", "challenger", "2");
        Assert.Equal("1", _registry.GetModelVersionByAlias("recsys", "champion").Version);
        Assert.Equal(["champion"], _registry.GetModelVersion("recsys", "1").Aliases);
        _registry.SetRegisteredModelAlias("recsys", "champion", "2");
        Assert.Equal(["challenger", "champion"], _registry.GetModelVersion("recsys", "2").Aliases);
        Assert.Equal("2", _registry.GetRegisteredModel("recsys").Aliases["champion"]);

        var run2Artifacts = _tracking.GetRun(run2).Info.ArtifactUri;
        Assert.Equal(run2Artifacts + "/model", _registry.ResolveArtifactUri("models:/recsys@champion"));
        Assert.Equal(_tracking.GetRun(run1).Info.ArtifactUri + "/model", _registry.ResolveArtifactUri("models:/recsys/1"));
        Assert.Equal(run2Artifacts + "/model", _registry.ResolveArtifactUri("models:/recsys/latest"));
        Assert.Equal(run2Artifacts + "/model", _registry.ResolveArtifactUri($"runs:/{run2}/model"));
        Assert.Equal("/some/folder", _registry.ResolveArtifactUri("/some/folder"));

        _registry.DeleteRegisteredModelAlias("recsys", "champion");
        Assert.Equal(404, Assert.Throws<MlflowException>(() => _registry.ResolveArtifactUri("models:/recsys@champion")).HttpStatusCode);
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("LATEST")]
    [InlineData("v1")]
    [InlineData("V42")]
    [InlineData("bad alias")]
    [InlineData("a/b")]
    [InlineData("")]
    public void Reserved_and_malformed_aliases_are_refused(string alias)
    {
        var run = NewRun();
        _registry.RegisterModel($"runs:/{run}/model", "m");
        var error = Assert.Throws<MlflowException>(() => _registry.SetRegisteredModelAlias("m", alias, "1"));
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, error.ErrorCode);
    }

    [Theory]
    [InlineData("models:/")]
    [InlineData("models:/name")]
    [InlineData("models:/name/")]
    [InlineData("models:/name/Production")]
    [InlineData("models:/a/b/c")]
    [InlineData("models:/name@")]
    [InlineData("models://host/name/1")]
    [InlineData("runs:/")]
    [InlineData("runs:/bad id/model")]
    public void Invalid_model_uris_are_refused_naming_the_uri(string uri)
    {
        var error = Assert.Throws<MlflowException>(() => ModelUri.Parse(uri));
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, error.ErrorCode);
        Assert.Contains(uri, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_things_are_resource_does_not_exist()
    {
        Assert.Equal(404, Assert.Throws<MlflowException>(() => _registry.GetRegisteredModel("nope")).HttpStatusCode);
        Assert.Equal(404, Assert.Throws<MlflowException>(() => _registry.ResolveArtifactUri("models:/nope/1")).HttpStatusCode);
        Assert.Equal(404, Assert.Throws<MlflowException>(() => _registry.RegisterModel("runs:/0123456789abcdef0123456789abcdef/model", "x")).HttpStatusCode);
        _registry.CreateRegisteredModel("empty");
        Assert.Equal(404, Assert.Throws<MlflowException>(() => _registry.ResolveArtifactUri("models:/empty/latest")).HttpStatusCode);
        Assert.Equal(404, Assert.Throws<MlflowException>(() => _registry.SetRegisteredModelAlias("empty", "champion", "1")).HttpStatusCode);
        Assert.Equal(MlflowErrorCodes.ResourceAlreadyExists, Assert.Throws<MlflowException>(() => _registry.CreateRegisteredModel("empty")).ErrorCode);
        Assert.Throws<MlflowException>(() => _registry.CreateRegisteredModel("a/b"));
    }

    [Fact]
    public async Task Deleted_version_numbers_are_not_reused_and_aliases_go_with_them()
    {
        var run = NewRun();
        _registry.RegisterModel($"runs:/{run}/m", "m");
        _registry.RegisterModel($"runs:/{run}/m", "m");
        _registry.SetRegisteredModelAlias("m", "champion", "2");
        await _store.DeleteModelVersionAsync("m", "2");
        Assert.Empty(_registry.GetRegisteredModel("m").Aliases);
        Assert.Equal("3", _registry.RegisterModel($"runs:/{run}/m", "m").Version);
        Assert.Equal("3", _registry.GetRegisteredModel("m").LatestVersion);
    }

    [Fact]
    public async Task Search_tags_rename_and_delete()
    {
        var run = NewRun();
        _registry.CreateRegisteredModel("recsys-a", new Dictionary<string, string> { ["team"] = "search" });
        _registry.CreateRegisteredModel("recsys-B");
        _registry.CreateRegisteredModel("fraud");
        _registry.RegisterModel($"runs:/{run}/model", "fraud");
        await _store.SetModelVersionTagAsync("fraud", "1", "validated", "true");

        Assert.Equal(["recsys-a"], _registry.SearchRegisteredModels("name LIKE 'recsys-%' AND name != 'recsys-B'").Select(m => m.Name));
        Assert.Equal(["recsys-B", "recsys-a"], _registry.SearchRegisteredModels("name ILIKE 'RECSYS%'").Select(m => m.Name));
        Assert.Equal(["recsys-a"], _registry.SearchRegisteredModels("tags.team = 'search'").Select(m => m.Name));
        Assert.Equal(["recsys-a", "recsys-B", "fraud"], _registry.SearchRegisteredModels(orderBy: ["name DESC"]).Select(m => m.Name));
        var page = _registry.SearchRegisteredModels(maxResults: 2);
        Assert.Equal(2, page.Count);
        Assert.Single(_registry.SearchRegisteredModels(maxResults: 2, pageToken: page.NextPageToken));
        Assert.Single(_registry.SearchModelVersions($"run_id = '{run}'"));
        Assert.Single(_registry.SearchModelVersions($"run_id IN ('{run}', 'other')"));
        Assert.Single(_registry.SearchModelVersions("tags.validated = 'true'"));
        Assert.Throws<MlflowException>(() => _registry.SearchRegisteredModels("run_id = 'x'"));
        Assert.Throws<MlflowException>(() => _registry.SearchRegisteredModels("name > 'x'"));

        await _store.RenameRegisteredModelAsync("fraud", "fraud2");
        Assert.Equal("fraud2", _registry.GetModelVersion("fraud2", "1").Name);
        await _store.DeleteRegisteredModelAsync("fraud2");
        Assert.Throws<MlflowException>(() => _registry.GetRegisteredModel("fraud2"));
    }
}
