namespace StyleBridge.Torch.Serialization;

/// <summary>
/// The allow-list of the restricted unpickler: what the handful of globals that <c>torch.save</c>
/// and <c>torch.jit.save</c> emit mean. Everything else becomes an inert <see cref="PickleObject"/>.
/// </summary>
internal static class TorchGlobals
{
    private static readonly Dictionary<string, ScalarType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ScalarType.Float32,
        ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16,
        ["DoubleStorage"] = ScalarType.Float64,
        ["LongStorage"] = ScalarType.Int64,
        ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16,
        ["CharStorage"] = ScalarType.Int8,
        ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
        // An untyped storage counts bytes; torch.save writes it for storages saved on their own.
        ["UntypedStorage"] = ScalarType.Byte,
    };

    private static readonly Dictionary<string, ScalarType> Dtypes = new(StringComparer.Ordinal)
    {
        ["float32"] = ScalarType.Float32, ["float"] = ScalarType.Float32,
        ["float16"] = ScalarType.Float16, ["half"] = ScalarType.Float16,
        ["bfloat16"] = ScalarType.BFloat16,
        ["float64"] = ScalarType.Float64, ["double"] = ScalarType.Float64,
        ["int64"] = ScalarType.Int64, ["long"] = ScalarType.Int64,
        ["int32"] = ScalarType.Int32, ["int"] = ScalarType.Int32,
        ["int16"] = ScalarType.Int16, ["short"] = ScalarType.Int16,
        ["int8"] = ScalarType.Int8,
        ["uint8"] = ScalarType.Byte,
        ["bool"] = ScalarType.Bool,
    };

    /// <summary>GLOBAL: <c>torch.&lt;dtype&gt;</c> becomes a <see cref="ScalarType"/>, everything else a name.</summary>
    public static object Resolve(string module, string name) =>
        module == "torch" && Dtypes.TryGetValue(name, out var dtype) ? dtype : new PickleGlobal(module, name);

    /// <summary>The element type of a storage class named in a persistent id.</summary>
    public static bool TryGetStorageDtype(object? storageType, out ScalarType dtype)
    {
        switch (storageType)
        {
            case PickleGlobal { Module: "torch" or "torch.cuda" or "torch.storage" } g when StorageTypes.TryGetValue(g.Name, out dtype):
                return true;
            case ScalarType t: // some writers put the dtype itself in the id
                dtype = t;
                return true;
            default:
                dtype = default;
                return false;
        }
    }

    /// <summary>REDUCE: <c>callable(*args)</c>, for allow-listed callables only.</summary>
    public static object? Call(object? callable, object?[] args, string source)
    {
        if (callable is not PickleGlobal g)
            throw new WeightFormatException(source, $"REDUCE calls a {PickleFormat.Describe(callable)}, not a named global; refusing");
        switch (g.FullName)
        {
            case "collections.OrderedDict":
            case "builtins.dict":
                return NewDict(g.FullName, args, source);
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                return RebuildTensor(g, args, source);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                if (args.Length >= 2 && args[0] is PickledTensor p)
                {
                    p.RequiresGrad = args[1] is true;
                    return p;
                }
                return new PickleObject(g.FullName, args);
            case "torch.Size" when args is [object?[] dims]:
                return dims;
            case "_codecs.encode" when args is [string text, "latin1" or "latin-1"]:
                return System.Text.Encoding.Latin1.GetBytes(text); // how protocol 2 writes bytes
            default:
                return new PickleObject(g.FullName, args);
        }
    }

    /// <summary>NEWOBJ: <c>cls.__new__(cls, *args)</c>.</summary>
    public static object New(object? cls, object?[] args, string source)
    {
        if (cls is not PickleGlobal g)
            throw new WeightFormatException(source, $"NEWOBJ on a {PickleFormat.Describe(cls)}, not a named class; refusing");
        return g.FullName is "collections.OrderedDict" or "builtins.dict"
            ? new PickleDict(g.FullName)
            : new PickleObject(g.FullName, args);
    }

    /// <summary>BUILD: records the state; for dicts, as attributes (an OrderedDict's <c>_metadata</c>).</summary>
    public static void Build(object? target, object? state)
    {
        switch (target)
        {
            case PickleDict dict:
                // state is either a dict of attributes or a (dict, slots) pair
                foreach (var part in state is object?[] pair ? pair : [state])
                {
                    if (part is PickleDict attributes)
                    {
                        var into = dict.GetOrCreateAttributes();
                        foreach (var (k, v) in attributes)
                            into.Set(k, v);
                    }
                }
                break;
            case PickleObject obj:
                obj.State = state;
                break;
            // Tensors (from _rebuild_parameter_with_state), lists and others: the state carries no data we use.
        }
    }

    private static PickleDict NewDict(string className, object?[] args, string source)
    {
        var dict = new PickleDict(className);
        if (args.Length > 0 && args[0] is List<object?> or object?[])
        {
            foreach (var pair in (IEnumerable<object?>)args[0]!)
            {
                if (pair is not object?[] { Length: 2 } kv)
                    throw new WeightFormatException(source, $"{className} built from an item that is not a (key, value) pair");
                dict.Set(kv[0], kv[1]);
            }
        }
        return dict;
    }

    /// <summary><c>_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None)</c>.</summary>
    private static object RebuildTensor(PickleGlobal g, object?[] args, string source)
    {
        if (args.Length < 4 || args[0] is not PickledStorage storage)
            return new PickleObject(g.FullName, args); // e.g. a storage rebuilt from bytes: not loadable, kept inert
        long offset = AsLong(args[1], "storage_offset");
        long[] size = AsLongs(args[2], "size");
        long[] stride = AsLongs(args[3], "stride");
        if (size.Length != stride.Length)
            throw new WeightFormatException(source, $"tensor on storage {storage.Key} has {size.Length} sizes but {stride.Length} strides");
        bool requiresGrad = args.Length > 4 && args[4] is true;
        return new PickledTensor(storage, offset, size, stride, requiresGrad);

        long AsLong(object? v, string what) => v is long l ? l
            : throw new WeightFormatException(source, $"tensor on storage {storage.Key}: {what} is a {PickleFormat.Describe(v)}, not an int");

        long[] AsLongs(object? v, string what) => v is object?[] tuple
            ? tuple.Select(x => AsLong(x, what)).ToArray()
            : throw new WeightFormatException(source, $"tensor on storage {storage.Key}: {what} is a {PickleFormat.Describe(v)}, not a tuple");
    }
}
