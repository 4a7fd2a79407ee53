using Apache.Arrow;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Registry;

namespace Mlops.Features.FeatureStore.Retrieval;

/// <summary>Requested features resolved against a snapshot: per feature view the features, per on-demand view its outputs, and output names.</summary>
internal sealed class FeatureRequest
{
    private FeatureRequest(RegistrySnapshot snapshot, List<(FeatureView View, List<string> Features)> views, List<(OnDemandFeatureView View, List<string> Features)> onDemand, List<(string Reference, string Output)> outputs)
    {
        Snapshot = snapshot;
        Views = views;
        OnDemand = onDemand;
        Outputs = outputs;
    }

    public RegistrySnapshot Snapshot { get; }

    /// <summary>Feature views with the features to read (requested ones plus on-demand inputs).</summary>
    public List<(FeatureView View, List<string> Features)> Views { get; }

    public List<(OnDemandFeatureView View, List<string> Features)> OnDemand { get; }

    /// <summary>The requested features (<c>view:feature</c>) and their output names, in request order.</summary>
    public List<(string Reference, string Output)> Outputs { get; }

    public static IReadOnlyList<string> FromService(RegistrySnapshot snapshot, string service)
    {
        if (!snapshot.FeatureServices.TryGetValue(service, out var definition))
        {
            throw new FeatureReferenceException($"Project '{snapshot.Project}' has no feature service '{service}'.");
        }

        return definition.Features.SelectMany(s =>
        {
            IEnumerable<string> names = s.Features ?? (snapshot.FeatureViews.TryGetValue(s.View, out var v) ? v.Schema.Select(f => f.Name)
                : snapshot.OnDemandFeatureViews.TryGetValue(s.View, out var o) ? o.Schema.Select(f => f.Name)
                : throw new FeatureReferenceException($"Feature service '{service}' names view '{s.View}', which project '{snapshot.Project}' does not have."));
            return names.Select(n => s.View + ":" + n);
        }).ToArray();
    }

    public static FeatureRequest Resolve(RegistrySnapshot snapshot, IReadOnlyList<string> features, bool fullFeatureNames)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count == 0)
        {
            throw new ArgumentException("Request at least one feature ('view:feature').", nameof(features));
        }

        var views = new List<(FeatureView View, List<string> Features)>();
        var onDemand = new List<(OnDemandFeatureView View, List<string> Features)>();
        var outputs = new List<(string Reference, string Output)>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var reference in features)
        {
            var (viewName, feature) = FeatureReference.Parse(reference, "Requested features");
            if (snapshot.FeatureViews.TryGetValue(viewName, out var view))
            {
                if (view.FindFeature(feature) is null)
                {
                    throw new FeatureReferenceException($"Feature view '{viewName}' has no feature '{feature}'; it has {string.Join(", ", view.Schema.Select(f => f.Name))}.");
                }

                AddFeature(views, view, feature);
            }
            else if (snapshot.OnDemandFeatureViews.TryGetValue(viewName, out var odfv))
            {
                if (!odfv.Schema.Any(f => f.Name == feature))
                {
                    throw new FeatureReferenceException($"On-demand feature view '{viewName}' has no feature '{feature}'; it has {string.Join(", ", odfv.Schema.Select(f => f.Name))}.");
                }

                if (odfv.Transform is null)
                {
                    throw new FeatureReferenceException($"On-demand feature view '{viewName}' has no transform in this process: apply it (ApplyAsync) or register it with the client (its code is not stored in the registry).");
                }

                var index = onDemand.FindIndex(o => o.View.Name == viewName);
                if (index < 0)
                {
                    onDemand.Add((odfv, [feature]));
                }
                else if (!onDemand[index].Features.Contains(feature))
                {
                    onDemand[index].Features.Add(feature);
                }
            }
            else
            {
                throw new FeatureReferenceException($"Project '{snapshot.Project}' has no feature view '{viewName}' (requested '{reference}').");
            }

            var output = fullFeatureNames ? viewName + "__" + feature : feature;
            if (names.TryGetValue(output, out var other))
            {
                if (other == reference)
                {
                    continue;
                }

                throw new FeatureNameCollisionException($"Features '{other}' and '{reference}' would both be named '{output}'; pass fullFeatureNames: true to name them 'view__feature'.");
            }

            names.Add(output, reference);
            outputs.Add((reference, output));
        }

        foreach (var (odfv, _) in onDemand)
        {
            foreach (var input in odfv.Inputs)
            {
                var (viewName, feature) = FeatureReference.Parse(input, $"On-demand feature view '{odfv.Name}'");
                AddFeature(views, snapshot.FeatureViews.TryGetValue(viewName, out var v) ? v
                    : throw new FeatureReferenceException($"On-demand feature view '{odfv.Name}' reads '{input}', but project '{snapshot.Project}' has no feature view '{viewName}'."), feature);
            }
        }

        return new FeatureRequest(snapshot, views, onDemand, outputs);
    }

    /// <summary>The name a feature view's feature has in the joined frame before on-demand views run (hidden unless requested).</summary>
    public string ColumnOf(string view, string feature)
    {
        var reference = view + ":" + feature;
        var requested = Outputs.FindIndex(o => o.Reference == reference);
        return requested >= 0 ? Outputs[requested].Output : "__in__" + view + "__" + feature;
    }

    public IReadOnlyList<string> JoinKeys(FeatureView view) => FeatureDefinitions.JoinKeys(view, Snapshot.Entities);

    /// <summary>Runs an on-demand view over a batch holding its inputs (by <see cref="ColumnOf"/>) and request fields; checks the output.</summary>
    public static RecordBatch RunTransform(OnDemandFeatureView odfv, RecordBatch inputs)
    {
        RecordBatch output;
        try
        {
            output = odfv.Transform!(inputs);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new FeatureReferenceException($"On-demand feature view '{odfv.Name}' failed: {e.Message}");
        }

        if (output is null || output.Length != inputs.Length)
        {
            throw new FeatureDefinitionException($"On-demand feature view '{odfv.Name}' returned {output?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} rows for {inputs.Length} inputs.");
        }

        foreach (var field in odfv.Schema)
        {
            var index = output.Schema.GetFieldIndex(field.Name);
            if (index < 0 || FeatureValueTypes.ToArrow(field.Type).TypeId != output.Column(index).Data.DataType.TypeId)
            {
                throw new FeatureDefinitionException($"On-demand feature view '{odfv.Name}': the transform's output has no column '{field.Name}' of type {field.Type}.");
            }
        }

        return output;
    }

    private static void AddFeature(List<(FeatureView View, List<string> Features)> views, FeatureView view, string feature)
    {
        var index = views.FindIndex(v => v.View.Name == view.Name);
        if (index < 0)
        {
            views.Add((view, [feature]));
        }
        else if (!views[index].Features.Contains(feature))
        {
            views[index].Features.Add(feature);
        }
    }
}
