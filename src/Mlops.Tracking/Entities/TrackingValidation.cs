namespace Mlops.Tracking;

/// <summary>MLflow's validation of names, values and batch sizes, with its kinds of messages.</summary>
internal static class TrackingValidation
{
    public static void ValidateRunId(string runId)
    {
        if (string.IsNullOrEmpty(runId) || runId.Length > 256 || !runId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw MlflowException.InvalidParameter($"Invalid value '{runId}' for parameter 'run_id' supplied.");
        }
    }

    public static void ValidateKey(string kind, string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw MlflowException.InvalidParameter($"Invalid {kind} name: ''. Names must not be empty.");
        }

        if (key.Length > TrackingLimits.MaxKeyLength)
        {
            throw MlflowException.InvalidParameter(
                $"{Capitalise(kind)} name '{key[..20]}...' had length {key.Length}, which exceeded length limit of {TrackingLimits.MaxKeyLength}.");
        }

        foreach (var c in key)
        {
            if (!(char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or ' ' or '/' or ':'))
            {
                throw MlflowException.InvalidParameter(
                    $"Invalid {kind} name: '{key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon (:) and slashes (/).");
            }
        }

        // A key is also a file name in MLflow's file store: it must stay inside the run's folder.
        if (key.StartsWith('/') || key.Split('/').Any(segment => segment == ".."))
        {
            throw MlflowException.InvalidParameter($"Invalid {kind} name: '{key}'. Names cannot resolve to a path outside the run's folder.");
        }
    }

    public static void ValidateParam(Param param)
    {
        ValidateKey("param", param.Key);
        if (param.Value is null)
        {
            throw MlflowException.InvalidParameter($"Param '{param.Key}' has a null value.");
        }

        if (param.Value.Length > TrackingLimits.MaxParamValueLength)
        {
            throw MlflowException.InvalidParameter(
                $"Param value '{param.Value[..20]}...' had length {param.Value.Length}, which exceeded length limit of {TrackingLimits.MaxParamValueLength}.");
        }
    }

    public static void ValidateTag(RunTag tag)
    {
        ValidateKey("tag", tag.Key);
        if (tag.Value is null)
        {
            throw MlflowException.InvalidParameter($"Tag '{tag.Key}' has a null value.");
        }

        if (tag.Value.Length > TrackingLimits.MaxTagValueLength)
        {
            throw MlflowException.InvalidParameter(
                $"Tag value '{tag.Value[..20]}...' had length {tag.Value.Length}, which exceeded length limit of {TrackingLimits.MaxTagValueLength}.");
        }

        // The run name tag is the run's name: the same limit however it is set.
        if (tag.Key == MlflowTags.RunName)
        {
            ValidateRunName(tag.Value);
        }
    }

    /// <summary>A run name: at most <see cref="TrackingLimits.MaxRunNameLength"/> characters, no control characters.</summary>
    public static void ValidateRunName(string? runName)
    {
        if (runName is null)
        {
            return;
        }

        if (runName.Length > TrackingLimits.MaxRunNameLength)
        {
            throw MlflowException.InvalidParameter(
                $"Run name '{runName[..20]}...' had length {runName.Length}, which exceeded length limit of {TrackingLimits.MaxRunNameLength} (parameter 'run_name').");
        }

        RefuseControlCharacters("run_name", runName);
    }

    /// <summary>A run's user id: at most <see cref="TrackingLimits.MaxUserIdLength"/> characters, no control characters.</summary>
    public static void ValidateUserId(string? userId)
    {
        if (userId is null)
        {
            return;
        }

        if (userId.Length > TrackingLimits.MaxUserIdLength)
        {
            throw MlflowException.InvalidParameter(
                $"User id '{userId[..20]}...' had length {userId.Length}, which exceeded length limit of {TrackingLimits.MaxUserIdLength} (parameter 'user_id').");
        }

        RefuseControlCharacters("user_id", userId);
    }

    private static void RefuseControlCharacters(string field, string value)
    {
        // NUL and other control characters would let one name print as another and break files named after it.
        var at = value.AsSpan().IndexOfAnyInRange('\0', '\u001f');
        if (at < 0)
        {
            at = value.IndexOf('\u007f', StringComparison.Ordinal);
        }

        if (at >= 0)
        {
            throw MlflowException.InvalidParameter(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Invalid value for parameter '{field}': control character U+{(int)value[at]:X4} at position {at}. Names may not contain control characters."));
        }
    }

    public static void ValidateMetric(RunMetric metric) => ValidateKey("metric", metric.Key);

    public static void ValidateBatch(IReadOnlyList<RunMetric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<RunTag> tags)
    {
        if (metrics.Count > TrackingLimits.MaxMetricsPerBatch)
        {
            throw MlflowException.InvalidParameter(
                $"A batch logging request can contain at most {TrackingLimits.MaxMetricsPerBatch} metrics. Got {metrics.Count} metrics. Please split up metrics across multiple requests and try again.");
        }

        if (parameters.Count > TrackingLimits.MaxParamsPerBatch)
        {
            throw MlflowException.InvalidParameter(
                $"A batch logging request can contain at most {TrackingLimits.MaxParamsPerBatch} params. Got {parameters.Count} params. Please split up params across multiple requests and try again.");
        }

        if (tags.Count > TrackingLimits.MaxTagsPerBatch)
        {
            throw MlflowException.InvalidParameter(
                $"A batch logging request can contain at most {TrackingLimits.MaxTagsPerBatch} tags. Got {tags.Count} tags. Please split up tags across multiple requests and try again.");
        }

        var total = metrics.Count + parameters.Count + tags.Count;
        if (total > TrackingLimits.MaxEntitiesPerBatch)
        {
            throw MlflowException.InvalidParameter(
                $"A batch logging request can contain at most {TrackingLimits.MaxEntitiesPerBatch} total metrics, params, and tags. Got {total} entities. Please split up entities across multiple requests and try again.");
        }

        foreach (var metric in metrics)
        {
            ValidateMetric(metric);
        }

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var param in parameters)
        {
            ValidateParam(param);
            if (seen.TryGetValue(param.Key, out var earlier) && earlier != param.Value)
            {
                throw MlflowException.InvalidParameter(
                    $"Duplicate parameter keys have been submitted: '{param.Key}' with values '{earlier}' and '{param.Value}'. Please ensure the request contains only one param value per param key.");
            }

            seen[param.Key] = param.Value;
        }

        foreach (var tag in tags)
        {
            ValidateTag(tag);
        }
    }

    public static void ValidateExperimentName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw MlflowException.InvalidParameter("Invalid experiment name: ''. Experiment names must not be empty.");
        }

        if (name.Length > 500)
        {
            throw MlflowException.InvalidParameter($"Experiment name '{name[..20]}...' exceeded length limit of 500.");
        }

        RefuseControlCharacters("name", name);
    }

    public static int ValidateMaxResults(int maxResults)
    {
        if (maxResults <= 0 || maxResults > TrackingLimits.MaxResultsPerPage)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value {maxResults} for parameter 'max_results' supplied. It must be at most {TrackingLimits.MaxResultsPerPage}, and at least 1.");
        }

        return maxResults;
    }

    private static string Capitalise(string kind) => char.ToUpperInvariant(kind[0]) + kind[1..];
}
