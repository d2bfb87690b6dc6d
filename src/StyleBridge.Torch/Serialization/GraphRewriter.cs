namespace StyleBridge.Torch.Serialization;

/// <summary>Replaces values throughout an unpickled object graph in place (cycles and shared objects visited once).</summary>
internal static class GraphRewriter
{
    public static object? Replace(object? root, Func<object?, object?> replace)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object>();
        var newRoot = Visit(root);
        while (pending.Count > 0)
        {
            switch (pending.Pop())
            {
                case PickleDict dict:
                    RewriteDict(dict);
                    break;
                case List<object?> list:
                    for (int i = 0; i < list.Count; i++)
                        list[i] = Visit(list[i]);
                    break;
                case object?[] tuple:
                    for (int i = 0; i < tuple.Length; i++)
                        tuple[i] = Visit(tuple[i]);
                    break;
                case PickleObject obj:
                    var args = obj.MutableArgs;
                    for (int i = 0; i < args.Length; i++)
                        args[i] = Visit(args[i]);
                    obj.State = Visit(obj.State);
                    if (obj.ListItems.Count > 0)
                        Visit(obj.MutableListItems);
                    if (obj.DictItems is { } items)
                        Visit(items);
                    break;
            }
        }
        return newRoot;

        void RewriteDict(PickleDict dict)
        {
            int i = 0;
            foreach (var value in dict.Values.ToList())
                dict.SetAt(i++, Visit(value));
            if (dict.Attributes.Count > 0)
                Visit(dict.GetOrCreateAttributes());
        }

        object? Visit(object? value)
        {
            if (value is PickleDict or List<object?> or object?[] or PickleObject)
            {
                if (seen.Add(value))
                    pending.Push(value);
                return value;
            }
            return replace(value);
        }
    }
}
