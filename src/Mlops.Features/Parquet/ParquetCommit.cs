using Mlops.Storage;

namespace Mlops.Features.Parquet;

/// <summary>
/// Publishes a finished write from its hidden temporary folder to the destination with Spark's save-mode
/// semantics, leaving the destination exactly as it was if publishing fails. The temporary folder is a
/// hidden sibling (<c>.name._temporary-job</c>) so readers of the destination or its parent never see it.
/// </summary>
internal sealed class ParquetCommit(StorageLocation destination)
{
    private const string SuccessMarker = "_SUCCESS";

    private BlobStore Store => destination.Store;

    private string Path => destination.Path;

    /// <summary>Whether anything (a file, or a folder even if empty) exists at the destination.</summary>
    public bool DestinationExists() =>
        DestinationIsFile()
        || Store.List(Path + "/").Any()
        || (Store is LocalBlobStore local && Directory.Exists(local.GetFullPath(Path)));

    /// <summary>Whether the destination is a single blob rather than a folder.</summary>
    public bool DestinationIsFile() => Store.Exists(Path);

    /// <summary>A hidden path next to the destination: <c>parent/.name{suffix}</c>.</summary>
    public string Sibling(string suffix)
    {
        var cut = Path.LastIndexOf('/');
        return (cut < 0 ? string.Empty : Path[..(cut + 1)]) + "." + Path[(cut + 1)..] + suffix;
    }

    /// <summary>Moves the parts (names relative to <paramref name="temporary"/>) into place; returns their final paths.</summary>
    public IReadOnlyList<string> Publish(string temporary, IReadOnlyList<string> parts, SaveMode mode, string jobId, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var exists = DestinationExists();
        if (mode == SaveMode.Append && exists)
        {
            if (DestinationIsFile())
            {
                throw new BlobAlreadyExistsException(destination + " (it is a file; SaveMode.Append adds part files to a folder)");
            }

            AppendParts(temporary, parts);
        }
        else if (mode == SaveMode.Overwrite && exists)
        {
            WriteSuccess(temporary);
            Replace(temporary, jobId);
        }
        else
        {
            // The marker goes in last, and the single rename publishes it together with the parts.
            WriteSuccess(temporary);
            Store.MovePrefix(temporary, Path, ct);
        }

        return parts.Select(p => Path + "/" + p).ToList();
    }

    /// <summary>Deletes a folder, ignoring failures (leftovers are hidden and named after their job).</summary>
    public void TryDeletePrefix(string folder)
    {
        try
        {
            Store.DeletePrefix(folder + "/");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MlopsException)
        {
            // Best effort: the caller's outcome (success or the original failure) matters more.
        }
    }

    private void Replace(string temporary, string jobId)
    {
        // Move the old data aside, publish, then drop the old data; if publishing fails, move it back.
        var aside = Sibling("._replaced-" + jobId);
        var wasFile = DestinationIsFile();
        var asideFile = aside + "/" + Path[(Path.LastIndexOf('/') + 1)..];
        if (wasFile)
        {
            MoveFile(Path, asideFile);
        }
        else
        {
            Store.MovePrefix(Path, aside);
        }

        try
        {
            Store.MovePrefix(temporary, Path);
        }
        catch
        {
            if (wasFile)
            {
                MoveFile(asideFile, Path);
            }
            else
            {
                Store.MovePrefix(aside, Path);
            }

            throw;
        }

        TryDeletePrefix(aside);
    }

    private void AppendParts(string temporary, IReadOnlyList<string> parts)
    {
        var moved = new List<string>();
        try
        {
            foreach (var part in parts)
            {
                MoveFile(temporary + "/" + part, Path + "/" + part);
                moved.Add(Path + "/" + part);
            }
        }
        catch
        {
            // Take back what was added so the destination is as it was.
            foreach (var path in moved)
            {
                try
                {
                    Store.Delete(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or MlopsException)
                {
                    // Keep rolling back the others.
                }
            }

            throw;
        }

        WriteSuccess(Path);
    }

    private void WriteSuccess(string folder)
    {
        using var marker = Store.OpenWrite(folder + "/" + SuccessMarker, overwrite: true);
        marker.Commit();
    }

    /// <summary>Moves one blob: a rename on the local file system, copy-and-delete elsewhere.</summary>
    private void MoveFile(string source, string target)
    {
        if (Store is LocalBlobStore local)
        {
            var full = local.GetFullPath(target);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.Move(local.GetFullPath(source), full, overwrite: false);
            return;
        }

        using (var input = Store.OpenRead(source))
        using (var output = Store.OpenWrite(target, overwrite: false))
        {
            input.CopyTo(output);
            output.Commit();
        }

        Store.Delete(source);
    }
}
