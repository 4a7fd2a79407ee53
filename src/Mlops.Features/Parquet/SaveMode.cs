namespace Mlops.Features;

/// <summary>What a writer does when its destination already exists, with Spark's semantics.</summary>
public enum SaveMode
{
    /// <summary>Fail with <see cref="Mlops.Storage.BlobAlreadyExistsException"/> if the destination exists (the default).</summary>
    ErrorIfExists,

    /// <summary>Replace the destination's content; the old data stays readable until the new data is published.</summary>
    Overwrite,

    /// <summary>Add new part files next to the existing ones.</summary>
    Append,

    /// <summary>Do nothing, without evaluating the frame, if the destination exists.</summary>
    Ignore,
}
