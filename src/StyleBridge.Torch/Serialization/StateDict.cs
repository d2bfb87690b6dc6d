using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace StyleBridge.Torch.Serialization;

/// <summary>
/// An ordered name → tensor map, as PyTorch's <c>state_dict()</c>. It owns its tensors: disposing the
/// StateDict disposes every tensor still in it. Use <see cref="Take"/> to move a tensor out (the caller
/// then owns it) and <see cref="Remove"/> to drop (and dispose) one. Indexer and enumeration lend the
/// tensors: do not dispose them.
/// </summary>
public sealed class StateDict : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly OrderedDictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Free-form string metadata (the <c>__metadata__</c> of a safetensors file); empty if none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    public Tensor this[string name]
    {
        get
        {
            ThrowIfDisposed();
            return _tensors.TryGetValue(name, out var t) ? t
                : throw new KeyNotFoundException($"tensor '{name}' is not in the state dict ({_tensors.Count} entries: {PickleFormat.KeyList(_tensors.Keys)})");
        }
    }

    public int Count => _tensors.Count;
    public IEnumerable<string> Keys => _tensors.Keys;
    public IEnumerable<Tensor> Values => _tensors.Values;

    public bool ContainsKey(string name) => _tensors.ContainsKey(name);

    public bool TryGetValue(string name, [MaybeNullWhen(false)] out Tensor tensor)
    {
        ThrowIfDisposed();
        return _tensors.TryGetValue(name, out tensor);
    }

    public bool TryGet(string name, [NotNullWhen(true)] out Tensor? tensor)
    {
        ThrowIfDisposed();
        return _tensors.TryGetValue(name, out tensor);
    }

    /// <summary>Adds a tensor; the state dict takes ownership of it.</summary>
    public void Add(string name, Tensor tensor)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_tensors.TryAdd(name, tensor))
            throw new ArgumentException($"tensor '{name}' is already in the state dict", nameof(name));
    }

    /// <summary>Removes and disposes a tensor; false if absent.</summary>
    public bool Remove(string name)
    {
        ThrowIfDisposed();
        if (!_tensors.Remove(name, out var t))
            return false;
        t.Dispose();
        return true;
    }

    /// <summary>Removes a tensor without disposing it: the caller owns it from now on.</summary>
    public Tensor Take(string name)
    {
        ThrowIfDisposed();
        return _tensors.Remove(name, out var t) ? t
            : throw new KeyNotFoundException($"tensor '{name}' is not in the state dict ({_tensors.Count} entries: {PickleFormat.KeyList(_tensors.Keys)})");
    }

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        ThrowIfDisposed();
        return _tensors.GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var t in _tensors.Values)
            t.Dispose();
        _tensors.Clear();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
