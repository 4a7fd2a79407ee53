using System.Text.Json;
using Mlops.Tracking.Registry;

namespace Mlops.Testing.Tracking;

/// <summary>
/// A model registry in memory with the SQLite registry's semantics (the same implementation over an in-memory
/// document table): aliases and their naming rules, version numbering, tags, search and paging.
/// </summary>
public sealed class InMemoryModelRegistryStore : DocumentModelRegistryStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _documents = new(StringComparer.Ordinal);

    /// <summary>Creates an empty registry.</summary>
    /// <param name="timeProvider">The clock for timestamps.</param>
    public InMemoryModelRegistryStore(TimeProvider? timeProvider = null)
        : base(timeProvider)
    {
    }

    /// <inheritdoc/>
    protected override T Read<T>(Func<IRegistryDocuments, T> action)
    {
        lock (_lock)
        {
            return action(new Documents(_documents));
        }
    }

    /// <inheritdoc/>
    protected override T Write<T>(Func<IRegistryDocuments, T> action)
    {
        lock (_lock)
        {
            // Work on a copy and publish it only if the operation succeeds, as a transaction would.
            var copy = new Dictionary<string, string>(_documents, StringComparer.Ordinal);
            var result = action(new Documents(copy));
            _documents.Clear();
            foreach (var (name, json) in copy)
            {
                _documents[name] = json;
            }

            return result;
        }
    }

    // Documents are kept serialised, so callers never share mutable state with the store.
    private sealed class Documents(Dictionary<string, string> table) : IRegistryDocuments
    {
        public RegisteredModelDocument? Get(string name) =>
            table.TryGetValue(name, out var json) ? JsonSerializer.Deserialize<RegisteredModelDocument>(json) : null;

        public void Put(RegisteredModelDocument document) => table[document.Name] = JsonSerializer.Serialize(document);

        public void Delete(string name) => table.Remove(name);

        public IEnumerable<RegisteredModelDocument> All() =>
            table.Keys.Order(StringComparer.Ordinal).Select(name => Get(name)!).ToList();
    }
}
