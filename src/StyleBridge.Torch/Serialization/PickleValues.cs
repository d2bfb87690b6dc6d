using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;

namespace StyleBridge.Torch.Serialization;

/// <summary>
/// A Python <c>dict</c> or <c>collections.OrderedDict</c> from a pickle, in insertion order.
/// Keys that are not strings (ints in optimizer state, tuples) are stored under their Python
/// <c>repr</c>-like text (<c>0</c>, <c>True</c>, <c>(1, 'a')</c>).
/// </summary>
public sealed class PickleDict : IReadOnlyDictionary<string, object?>
{
    private readonly OrderedDictionary<string, object?> _items = new(StringComparer.Ordinal);

    internal PickleDict(string className) => ClassName = className;

    /// <summary><c>builtins.dict</c> or <c>collections.OrderedDict</c>.</summary>
    public string ClassName { get; }

    /// <summary>Instance attributes set by BUILD, e.g. the <c>_metadata</c> of a state_dict; empty if none.</summary>
    public IReadOnlyDictionary<string, object?> Attributes => _attributes ?? (IReadOnlyDictionary<string, object?>)EmptyAttributes;

    private PickleDict? _attributes;
    private static readonly PickleDict EmptyAttributes = new("builtins.dict");

    public object? this[string key] => _items.TryGetValue(key, out var v) ? v
        : throw new KeyNotFoundException($"key '{key}' not found; keys: {PickleFormat.KeyList(_items.Keys)}");

    public IEnumerable<string> Keys => _items.Keys;
    public IEnumerable<object?> Values => _items.Values;
    public int Count => _items.Count;
    public bool ContainsKey(string key) => _items.ContainsKey(key);
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value) => _items.TryGetValue(key, out value);
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Set(object? key, object? value) => _items[PickleFormat.KeyText(key)] = value;

    internal void SetAt(int index, object? value) => _items.SetAt(index, value);

    internal PickleDict GetOrCreateAttributes() => _attributes ??= new PickleDict("builtins.dict");
}

/// <summary>
/// An instance of a class outside the allow-list (e.g. <c>argparse.Namespace</c>, TorchScript
/// modules <c>__torch__.…</c>). Nothing is executed: the object only records what the pickle said.
/// </summary>
public sealed class PickleObject
{
    private List<object?>? _listItems;
    private PickleDict? _dictItems;

    internal PickleObject(string className, object?[] args)
    {
        ClassName = className;
        Args = args;
    }

    /// <summary>Fully qualified class or function name, <c>module.qualname</c>.</summary>
    public string ClassName { get; }

    /// <summary>Constructor (NEWOBJ) or call (REDUCE) arguments.</summary>
    public IReadOnlyList<object?> Args { get; }

    /// <summary>The BUILD state, usually a <see cref="PickleDict"/> of attributes; null if none.</summary>
    public object? State { get; internal set; }

    /// <summary>The state as an attribute dictionary, or null when it is not a dict.</summary>
    public PickleDict? Attributes => State as PickleDict;

    /// <summary>Items appended by APPEND(S), for list subclasses.</summary>
    public IReadOnlyList<object?> ListItems => _listItems ?? (IReadOnlyList<object?>)Array.Empty<object?>();

    /// <summary>Items set by SETITEM(S), for dict subclasses.</summary>
    public PickleDict? DictItems => _dictItems;

    internal object?[] MutableArgs => (object?[])Args;
    internal List<object?> MutableListItems => _listItems ??= [];
    internal PickleDict MutableDictItems => _dictItems ??= new PickleDict("builtins.dict");

    public override string ToString() => $"<{ClassName} object>";
}

/// <summary>A class or function reference that was pushed by GLOBAL but never called.</summary>
public sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
    public override string ToString() => FullName;
}

/// <summary>A storage referenced by a persistent id <c>('storage', type, key, location, numel)</c>.</summary>
public sealed record PickledStorage(string Key, ScalarType Dtype, string Location, long Numel);

/// <summary>
/// A tensor as described by <c>torch._utils._rebuild_tensor_v2</c>, before any data is read:
/// a strided view (<see cref="Size"/>, <see cref="Stride"/>, <see cref="StorageOffset"/> in elements)
/// of a storage.
/// </summary>
public sealed class PickledTensor
{
    internal PickledTensor(PickledStorage storage, long storageOffset, long[] size, long[] stride, bool requiresGrad)
    {
        Storage = storage;
        StorageOffset = storageOffset;
        Size = size;
        Stride = stride;
        RequiresGrad = requiresGrad;
    }

    public PickledStorage Storage { get; }
    public long StorageOffset { get; }
    public IReadOnlyList<long> Size { get; }
    public IReadOnlyList<long> Stride { get; }
    public bool RequiresGrad { get; internal set; }
    public ScalarType Dtype => Storage.Dtype;

    public long Numel
    {
        get
        {
            long n = 1;
            foreach (long s in Size)
                n *= s;
            return n;
        }
    }

    public override string ToString() => $"tensor({Dtype}, [{string.Join(", ", Size)}], storage {Storage.Key})";
}

internal static class PickleFormat
{
    /// <summary>Text used as a dict key for a Python key object.</summary>
    public static string KeyText(object? key) => key switch
    {
        string s => s,
        _ => Repr(key),
    };

    public static string Repr(object? value) => Repr(value, 0);

    private static string Repr(object? value, int depth) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        string s => $"'{s}'",
        long l => l.ToString(CultureInfo.InvariantCulture),
        BigInteger bi => bi.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        object?[] when depth > 8 => "(…)",
        object?[] tuple => tuple.Length == 1 ? $"({Repr(tuple[0], depth + 1)},)" : $"({string.Join(", ", tuple.Select(v => Repr(v, depth + 1)))})",
        byte[] bytes => $"b<{bytes.Length} bytes>",
        _ => value.ToString() ?? value.GetType().Name,
    };

    public static string KeyList(IEnumerable<string> keys)
    {
        var list = keys.Take(21).ToList();
        string text = string.Join(", ", list.Take(20).Select(k => $"'{k}'"));
        return list.Count > 20 ? text + ", …" : (list.Count == 0 ? "(none)" : text);
    }

    public static string Describe(object? value) => value switch
    {
        null => "None",
        PickledTensor t => t.ToString(),
        PickleDict d => $"{d.ClassName} with {d.Count} entries",
        PickleObject o => $"{o.ClassName} object",
        List<object?> l => $"list of {l.Count}",
        object?[] t => $"tuple of {t.Length}",
        string => "str",
        long or BigInteger => "int",
        bool => "bool",
        double => "float",
        byte[] => "bytes",
        _ => value.GetType().Name,
    };
}
