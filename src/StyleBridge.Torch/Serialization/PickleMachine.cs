using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace StyleBridge.Torch.Serialization;

/// <summary>
/// A restricted pickle interpreter (protocols 0–5 binary opcodes, plus the few text opcodes old
/// writers emit). It never imports or calls anything: GLOBAL only names a class, and REDUCE / NEWOBJ
/// / BUILD go through <see cref="TorchGlobals"/>, which knows a short allow-list of torch
/// rebuild functions and turns every other call into an inert <see cref="PickleObject"/>.
/// </summary>
internal sealed class PickleMachine
{
    private readonly byte[] _data;
    private readonly string _source;
    private readonly Func<object?, object?> _persistentLoad;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private int _pos;

    /// <param name="data">the pickle bytes</param>
    /// <param name="source">file (and member) named in error messages</param>
    /// <param name="persistentLoad">resolves BINPERSID / PERSID ids; throw <see cref="WeightFormatException"/> to refuse</param>
    public PickleMachine(byte[] data, string source, Func<object?, object?> persistentLoad)
    {
        _data = data;
        _source = source;
        _persistentLoad = persistentLoad;
    }

    public static object? Load(byte[] data, string source, Func<object?, object?> persistentLoad) =>
        new PickleMachine(data, source, persistentLoad).Run();

    public object? Run()
    {
        while (true)
        {
            int at = _pos;
            byte op = ReadByte();
            try
            {
                if (Step(op))
                {
                    if (_stack.Count != 1)
                        throw Fail($"STOP with {_stack.Count} values on the stack (expected 1)");
                    return _stack[0];
                }
            }
            catch (WeightFormatException)
            {
                throw;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // corrupt input must surface as a format error, whatever part of the reader it trips
                throw Fail($"malformed pickle at byte {at} (opcode 0x{op:x2}): {e.Message}", e);
            }
        }
    }

    /// <returns>true on STOP</returns>
    private bool Step(byte op)
    {
        switch (op)
        {
            case 0x80: // PROTO
                int protocol = ReadByte();
                if (protocol > 5)
                    throw Fail($"unsupported pickle protocol {protocol}");
                break;
            case 0x95: // FRAME: framing is only a buffering hint
                ReadUInt64();
                break;
            case (byte)'.': // STOP
                return true;

            case (byte)'(': // MARK
                _marks.Push(_stack.Count);
                break;
            case (byte)'0': // POP (with an empty frame above a MARK, it drops the mark)
                if (_marks.Count > 0 && _marks.Peek() == _stack.Count)
                    _marks.Pop();
                else
                    Pop();
                break;
            case (byte)'1': // POP_MARK
                PopMark();
                break;
            case (byte)'2': // DUP
                Push(Peek());
                break;

            case (byte)'N': Push(null); break;
            case 0x88: Push(true); break; // NEWTRUE
            case 0x89: Push(false); break; // NEWFALSE

            case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Read(4))); break; // BININT
            case (byte)'K': Push((long)ReadByte()); break; // BININT1
            case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Read(2))); break; // BININT2
            case 0x8a: Push(ReadLong(ReadByte())); break; // LONG1
            case 0x8b: Push(ReadLong(ReadLength(BinaryPrimitives.ReadInt32LittleEndian(Read(4))))); break; // LONG4
            case (byte)'I': Push(ParseIntLine(ReadLine())); break; // INT (text; "00"/"01" are bools)
            case (byte)'L': Push(ParseBigInteger(ReadLine().TrimEnd('L'))); break; // LONG (text)
            case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Read(8))); break; // BINFLOAT
            case (byte)'F': Push(double.Parse(ReadLine(), NumberStyles.Float, CultureInfo.InvariantCulture)); break; // FLOAT

            case (byte)'X': Push(ReadUtf8(ReadLength(BinaryPrimitives.ReadUInt32LittleEndian(Read(4))))); break; // BINUNICODE
            case 0x8c: Push(ReadUtf8(ReadByte())); break; // SHORT_BINUNICODE
            case 0x8d: Push(ReadUtf8(ReadLength(BinaryPrimitives.ReadUInt64LittleEndian(Read(8))))); break; // BINUNICODE8
            case (byte)'T': Push(Encoding.Latin1.GetString(Read(ReadLength(BinaryPrimitives.ReadUInt32LittleEndian(Read(4)))))); break; // BINSTRING
            case (byte)'U': Push(Encoding.Latin1.GetString(Read(ReadByte()))); break; // SHORT_BINSTRING
            case (byte)'B': Push(Read(ReadLength(BinaryPrimitives.ReadUInt32LittleEndian(Read(4)))).ToArray()); break; // BINBYTES
            case (byte)'C': Push(Read(ReadByte()).ToArray()); break; // SHORT_BINBYTES
            case 0x8e: Push(Read(ReadLength(BinaryPrimitives.ReadUInt64LittleEndian(Read(8)))).ToArray()); break; // BINBYTES8
            case 0x96: Push(Read(ReadLength(BinaryPrimitives.ReadUInt64LittleEndian(Read(8)))).ToArray()); break; // BYTEARRAY8

            case (byte)'}': Push(new PickleDict("builtins.dict")); break; // EMPTY_DICT
            case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
            case (byte)')': Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
            case 0x8f: Push(new PickleObject("builtins.set", [])); break; // EMPTY_SET
            case (byte)'t': Push(PopMark().ToArray()); break; // TUPLE
            case 0x85: Push(new[] { Pop() }); break; // TUPLE1
            case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; } // TUPLE2
            case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
            case (byte)'l': Push(PopMark()); break; // LIST
            case (byte)'d': // DICT
            {
                var items = PopMark();
                var dict = new PickleDict("builtins.dict");
                SetItems(dict, items);
                Push(dict);
                break;
            }
            case 0x91: Push(new PickleObject("builtins.frozenset", [PopMark().ToArray()])); break; // FROZENSET

            case (byte)'a': // APPEND
            {
                var item = Pop();
                Append(Peek(), [item]);
                break;
            }
            case (byte)'e': // APPENDS
            {
                var items = PopMark();
                Append(Peek(), items);
                break;
            }
            case 0x90: // ADDITEMS (sets)
            {
                var items = PopMark();
                Append(Peek(), items);
                break;
            }
            case (byte)'s': // SETITEM
            {
                var value = Pop();
                var key = Pop();
                SetItems(Peek(), [key, value]);
                break;
            }
            case (byte)'u': // SETITEMS
            {
                var items = PopMark();
                SetItems(Peek(), items);
                break;
            }

            case (byte)'c': // GLOBAL
            {
                string module = ReadLine();
                string name = ReadLine();
                Push(TorchGlobals.Resolve(module, name));
                break;
            }
            case 0x93: // STACK_GLOBAL
            {
                var name = Pop() as string ?? throw Fail("STACK_GLOBAL name is not a string");
                var module = Pop() as string ?? throw Fail("STACK_GLOBAL module is not a string");
                Push(TorchGlobals.Resolve(module, name));
                break;
            }
            case (byte)'R': // REDUCE
            {
                var args = Pop() as object?[] ?? throw Fail("REDUCE arguments are not a tuple");
                var callable = Pop();
                Push(TorchGlobals.Call(callable, args, _source));
                break;
            }
            case 0x81: // NEWOBJ
            {
                var args = Pop() as object?[] ?? throw Fail("NEWOBJ arguments are not a tuple");
                var cls = Pop();
                Push(TorchGlobals.New(cls, args, _source));
                break;
            }
            case 0x92: // NEWOBJ_EX
            {
                var kwargs = Pop();
                var args = Pop() as object?[] ?? throw Fail("NEWOBJ_EX arguments are not a tuple");
                var cls = Pop();
                var obj = TorchGlobals.New(cls, args, _source);
                if (obj is PickleObject po && kwargs is PickleDict { Count: > 0 })
                    po.MutableDictItems.Set("__kwargs__", kwargs);
                Push(obj);
                break;
            }
            case (byte)'i': // INST (protocol 0/1): module, name, then args from the mark
            {
                string module = ReadLine();
                string name = ReadLine();
                var args = PopMark().ToArray();
                Push(TorchGlobals.New(TorchGlobals.Resolve(module, name), args, _source));
                break;
            }
            case (byte)'o': // OBJ
            {
                var items = PopMark();
                if (items.Count == 0)
                    throw Fail("OBJ without a class");
                Push(TorchGlobals.New(items[0], items.Skip(1).ToArray(), _source));
                break;
            }
            case (byte)'b': // BUILD
            {
                var state = Pop();
                TorchGlobals.Build(Peek(), state);
                break;
            }

            case (byte)'q': Memo(ReadByte()); break; // BINPUT
            case (byte)'r': Memo(BinaryPrimitives.ReadUInt32LittleEndian(Read(4))); break; // LONG_BINPUT
            case 0x94: Memo(_memo.Count); break; // MEMOIZE
            case (byte)'p': Memo(ParseLong(ReadLine())); break; // PUT
            case (byte)'h': Push(Recall(ReadByte())); break; // BINGET
            case (byte)'j': Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Read(4)))); break; // LONG_BINGET
            case (byte)'g': Push(Recall(ParseLong(ReadLine()))); break; // GET

            case (byte)'Q': Push(_persistentLoad(Pop())); break; // BINPERSID
            case (byte)'P': Push(_persistentLoad(ReadLine())); break; // PERSID

            case 0x82 or 0x83 or 0x84: // EXT1/2/4
                throw Fail("pickle uses the copyreg extension registry (EXT opcodes), which is not supported");
            case 0x97 or 0x98: // NEXT_BUFFER / READONLY_BUFFER
                throw Fail("pickle uses out-of-band buffers (protocol 5), which torch files do not use");
            default:
                throw Fail($"unknown pickle opcode 0x{op:x2} at byte {_pos - 1}");
        }
        return false;
    }

    private void SetItems(object? target, IReadOnlyList<object?> items)
    {
        if (items.Count % 2 != 0)
            throw Fail("SETITEMS with an odd number of values");
        PickleDict dict = target switch
        {
            PickleDict d => d,
            PickleObject o => o.MutableDictItems,
            _ => throw Fail($"SETITEM(S) on a {PickleFormat.Describe(target)}"),
        };
        for (int i = 0; i < items.Count; i += 2)
            dict.Set(items[i], items[i + 1]);
    }

    private void Append(object? target, IReadOnlyList<object?> items)
    {
        switch (target)
        {
            case List<object?> list:
                list.AddRange(items);
                break;
            case PickleObject o:
                o.MutableListItems.AddRange(items);
                break;
            default:
                throw Fail($"APPEND(S) on a {PickleFormat.Describe(target)}");
        }
    }

    private void Memo(long index) => _memo[index] = Peek();

    private object? Recall(long index) =>
        _memo.TryGetValue(index, out var v) ? v : throw Fail($"memo entry {index} is read before it is written");

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count))
            throw Fail("pickle stack underflow");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek()
    {
        if (_stack.Count == 0)
            throw Fail("pickle stack underflow");
        return _stack[^1];
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0)
            throw Fail("pickle uses a MARK that was never set");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private byte ReadByte()
    {
        if (_pos >= _data.Length)
            throw Fail($"pickle ends without STOP after {_data.Length} bytes; the data is truncated");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> Read(int count)
    {
        if (count < 0 || count > _data.Length - _pos)
            throw Fail($"pickle needs {count} bytes at byte {_pos} but only {_data.Length - _pos} remain; the data is truncated");
        var span = _data.AsSpan(_pos, count);
        _pos += count;
        return span;
    }

    private int ReadLength(long length) =>
        length < 0 || length > _data.Length - _pos
            ? throw Fail($"pickle declares a {length}-byte value at byte {_pos} but only {_data.Length - _pos} bytes remain; the data is truncated or corrupt")
            : (int)length;

    private int ReadLength(ulong length) => ReadLength(length > long.MaxValue ? -1 : (long)length);

    private ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Read(8));

    private string ReadUtf8(int count) => new UTF8Encoding(false, true).GetString(Read(count));

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0)
            throw Fail($"pickle text argument at byte {_pos} has no newline; the data is truncated");
        string s = Encoding.UTF8.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    /// <summary>Two's-complement little-endian integer (LONG1 / LONG4).</summary>
    private object ReadLong(int count)
    {
        var bytes = Read(count);
        if (count <= 8)
        {
            long v = 0;
            for (int i = count - 1; i >= 0; i--)
                v = (v << 8) | bytes[i];
            if (count is > 0 and < 8 && (bytes[count - 1] & 0x80) != 0)
                v -= 1L << (8 * count);
            return v;
        }
        var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return big >= long.MinValue && big <= long.MaxValue ? (long)big : big;
    }

    private static object ParseIntLine(string text) => text switch
    {
        "00" => false,
        "01" => true,
        _ => ParseBigInteger(text),
    };

    private static object ParseBigInteger(string text)
    {
        var big = BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return big >= long.MinValue && big <= long.MaxValue ? (long)big : big;
    }

    private static long ParseLong(string text) => long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private WeightFormatException Fail(string problem, Exception? inner = null) => new(_source, problem, inner);
}
