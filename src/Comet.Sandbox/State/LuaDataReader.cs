using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox.State;

/// <summary>
/// Reads Lua values into <see cref="AsoValue"/>s and into the canonical state encoding, with
/// raw access only (<c>lua_next</c>, <c>lua_rawgeti</c>): no metamethod runs, no
/// <c>__tostring</c>, no Lua allocation (SANDBOX.md, "Never"). Rejects what is not data:
/// functions, userdata, threads, tables used as keys, and nesting past
/// <see cref="AsoStateCodec.MaxDepth"/>.
/// </summary>
/// <remarks>
/// A table referenced twice (not a cycle) is read twice: data is a tree. A cycle is reported as
/// nesting past the depth limit (cheaper than tracking the path on every walk, and the state is
/// walked after every handler call). At the top level of an object's <c>aso</c> table, function
/// values are skipped: they are the object's code.
/// </remarks>
internal static class LuaDataReader
{
    /// <summary>Reads the value at <paramref name="idx"/>; returns null and a reason when it is not data.</summary>
    public static AsoValue? TryRead(nint L, int idx, out string? error) => TryRead(L, idx, long.MaxValue, out error, out _);

    /// <summary>
    /// Reads the value at <paramref name="idx"/>, stopping as soon as its encoded size passes
    /// <paramref name="maxBytes"/> (then <paramref name="tooLarge"/>): O(maxBytes) work whatever
    /// the shape, a table referenced many times counting once per reference (SANDBOX.md H1).
    /// </summary>
    public static AsoValue? TryRead(nint L, int idx, long maxBytes, out string? error, out bool tooLarge)
    {
        int top = lua_gettop(L);
        var walker = new Walker(L, skipTopLevelFunctions: false, maxBytes);
        tooLarge = false;
        try
        {
            error = null;
            return walker.Read(lua_absindex(L, idx), 0);
        }
        catch (NotDataException e)
        {
            error = e.Message;
            tooLarge = walker.TooLarge;
            return null;
        }
        finally
        {
            lua_settop(L, top);
        }
    }

    /// <summary>
    /// Encodes the data fields of the table at <paramref name="idx"/> (an object's <c>aso</c>)
    /// canonically into <paramref name="buffer"/>. Returns null, or why the state is not data.
    /// </summary>
    /// <remarks>The walk stops once the encoding passes <paramref name="maxBytes"/> (O(maxBytes) work for any shape); the caller sees the buffer's length past the limit.</remarks>
    public static string? TryEncodeState(nint L, int idx, EncodeBuffer buffer, long maxBytes = long.MaxValue)
    {
        int top = lua_gettop(L);
        var walker = new Walker(L, skipTopLevelFunctions: true, maxBytes);
        try
        {
            buffer.WriteByte(AsoStateCodec.Magic);
            buffer.WriteByte(AsoStateCodec.Version);
            walker.Encode(buffer, lua_absindex(L, idx), 0);
            return null;
        }
        catch (NotDataException e)
        {
            return e.Message;
        }
        finally
        {
            lua_settop(L, top);
        }
    }

    private struct Walker(nint L, bool skipTopLevelFunctions, long maxBytes)
    {
        private readonly nint _L = L;
        private readonly bool _skipTopLevelFunctions = skipTopLevelFunctions;
        private readonly long _maxBytes = maxBytes;
        // Encoded bytes the values read so far would take (Read), for the size limit.
        private long _used;

        /// <summary>The walk stopped at the size limit.</summary>
        public bool TooLarge { get; private set; }

        private void Count(long bytes)
        {
            _used += bytes;
            if (_used > _maxBytes)
            {
                TooLarge = true;
                throw new NotDataException($"the value is larger than {_maxBytes} bytes encoded (a table referenced several times counts once per reference)");
            }
        }

        private void CheckSize(EncodeBuffer buffer)
        {
            if (buffer.Length > _maxBytes)
            {
                TooLarge = true;
                throw new NotDataException($"the data is larger than {_maxBytes} bytes encoded (a table referenced several times counts once per reference)");
            }
        }
        // Stack index of the top-level key being read, named in error messages.
        private int _fieldKey;

        public AsoValue Read(int idx, int depth)
        {
            Count(lua_type(_L, idx) == LUA_TSTRING ? 2 + (long)lua_rawlen(_L, idx) : 2);
            switch (lua_type(_L, idx))
            {
                case LUA_TNIL:
                case LUA_TNONE:
                    return AsoValue.Nil;
                case LUA_TBOOLEAN:
                    return AsoValue.FromBoolean(lua_toboolean(_L, idx) != 0);
                case LUA_TNUMBER:
                    return lua_isinteger(_L, idx) != 0
                        ? AsoValue.FromInt64(ToInteger(_L, idx))
                        : AsoValue.FromDouble(ToNumber(_L, idx));
                case LUA_TSTRING:
                    return AsoValue.FromOwnedBytes(StringBytes(_L, idx).ToArray());
                case LUA_TTABLE:
                    return ReadTable(idx, depth);
                default:
                    throw NotData(lua_type(_L, idx));
            }
        }

        private AsoValue ReadTable(int t, int depth)
        {
            Enter(depth);
            bool top = depth == 0 && _skipTopLevelFunctions;
            int n = ArrayLength(t, top);
            var array = n == 0 ? [] : new AsoValue[n];
            for (int i = 0; i < n; i++)
            {
                lua_rawgeti(_L, t, i + 1);
                array[i] = Read(lua_gettop(_L), depth + 1);
                lua_pop(_L, 1);
            }
            List<KeyValuePair<AsoValue, AsoValue>>? map = null;
            lua_pushnil(_L);
            while (lua_next(_L, t) != 0)
            {
                int k = lua_gettop(_L) - 1;
                if (Skip(k, n, top))
                {
                    lua_pop(_L, 1);
                    continue;
                }
                if (depth == 0)
                {
                    _fieldKey = k;
                }
                var key = ReadKey(k);
                var value = Read(k + 1, depth + 1);
                (map ??= []).Add(new(key, value));
                lua_pop(_L, 1);
            }
            if (map is null)
            {
                return AsoValue.TableUnchecked(array, []);
            }
            var entries = map.ToArray();
            if (entries.Length > 1)
            {
                Array.Sort(entries, static (a, b) => AsoStateCodec.CompareKeys(a.Key, b.Key));
            }
            return AsoValue.TableUnchecked(array, entries);
        }

        public void Encode(EncodeBuffer buffer, int idx, int depth)
        {
            CheckSize(buffer);
            switch (lua_type(_L, idx))
            {
                case LUA_TNIL:
                case LUA_TNONE:
                    buffer.WriteByte(AsoStateCodec.TagNil);
                    break;
                case LUA_TBOOLEAN:
                    buffer.WriteByte(lua_toboolean(_L, idx) != 0 ? AsoStateCodec.TagTrue : AsoStateCodec.TagFalse);
                    break;
                case LUA_TNUMBER:
                case LUA_TSTRING:
                    EncodeScalar(buffer, idx);
                    break;
                case LUA_TTABLE:
                    EncodeTable(buffer, idx, depth);
                    break;
                default:
                    throw NotData(lua_type(_L, idx));
            }
        }

        private void EncodeTable(EncodeBuffer buffer, int t, int depth)
        {
            Enter(depth);
            bool top = depth == 0 && _skipTopLevelFunctions;
            int n = ArrayLength(t, top);
            buffer.WriteByte(AsoStateCodec.TagTable);
            buffer.WriteVarint((ulong)n);
            for (int i = 0; i < n; i++)
            {
                lua_rawgeti(_L, t, i + 1);
                Encode(buffer, lua_gettop(_L), depth + 1);
                lua_pop(_L, 1);
            }
            int regionStart = buffer.Length;
            int mark = buffer.BeginMap();
            lua_pushnil(_L);
            while (lua_next(_L, t) != 0)
            {
                int k = lua_gettop(_L) - 1;
                if (Skip(k, n, top))
                {
                    lua_pop(_L, 1);
                    continue;
                }
                if (depth == 0)
                {
                    _fieldKey = k;
                }
                int keyStart = buffer.Length;
                EncodeKey(buffer, k);
                int valueStart = buffer.Length;
                Encode(buffer, k + 1, depth + 1);
                buffer.AddEntry(keyStart, valueStart);
                lua_pop(_L, 1);
            }
            buffer.EndMap(regionStart, mark);
        }

        // A cycle is found by the depth limit: following it nests without end. Cheaper than
        // tracking the path on every walk (the state is encoded after every handler call).
        private void Enter(int depth)
        {
            if (depth >= AsoStateCodec.MaxDepth)
            {
                throw new NotDataException(Where() + $"tables nest deeper than {AsoStateCodec.MaxDepth} levels, or a table contains itself; data must be a tree");
            }
            if (lua_checkstack(_L, 4) == 0)
            {
                throw new NotDataException(Where() + "tables nest too deep");
            }
        }

        /// <summary>Length of the run of keys 1..n with data values (functions end it at the top level).</summary>
        private int ArrayLength(int t, bool top)
        {
            int n = 0;
            while (true)
            {
                int type = lua_rawgeti(_L, t, n + 1);
                lua_pop(_L, 1);
                if (type == LUA_TNIL || (top && type == LUA_TFUNCTION))
                {
                    return n;
                }
                n++;
            }
        }

        /// <summary>Array-part keys were handled already; top-level functions are code, not data.</summary>
        private bool Skip(int k, int n, bool top)
        {
            if (top && lua_type(_L, k + 1) == LUA_TFUNCTION)
            {
                return true;
            }
            if (lua_type(_L, k) == LUA_TNUMBER && lua_isinteger(_L, k) != 0)
            {
                long i = ToInteger(_L, k);
                return i >= 1 && i <= n;
            }
            return false;
        }

        private AsoValue ReadKey(int k) => lua_type(_L, k) switch
        {
            LUA_TBOOLEAN => AsoValue.FromBoolean(lua_toboolean(_L, k) != 0),
            LUA_TNUMBER => lua_isinteger(_L, k) != 0 ? AsoValue.FromInt64(ToInteger(_L, k)) : AsoValue.FromDouble(ToNumber(_L, k)),
            LUA_TSTRING => AsoValue.FromOwnedBytes(StringBytes(_L, k).ToArray()),
            _ => throw new NotDataException(Where() + $"a {TypeName(lua_type(_L, k))} is used as a table key; keys must be strings, numbers or booleans"),
        };

        private void EncodeKey(EncodeBuffer buffer, int k)
        {
            switch (lua_type(_L, k))
            {
                case LUA_TBOOLEAN:
                case LUA_TNUMBER:
                case LUA_TSTRING:
                    EncodeScalar(buffer, k);
                    break;
                default:
                    throw new NotDataException(Where() + $"a {TypeName(lua_type(_L, k))} is used as a table key; keys must be strings, numbers or booleans");
            }
        }


        private void EncodeScalar(EncodeBuffer buffer, int idx)
        {
            switch (lua_type(_L, idx))
            {
                case LUA_TBOOLEAN:
                    buffer.WriteByte(lua_toboolean(_L, idx) != 0 ? AsoStateCodec.TagTrue : AsoStateCodec.TagFalse);
                    break;
                case LUA_TNUMBER:
                    if (lua_isinteger(_L, idx) != 0)
                    {
                        buffer.WriteByte(AsoStateCodec.TagInteger);
                        buffer.WriteVarint(AsoStateCodec.ZigZag(ToInteger(_L, idx)));
                    }
                    else
                    {
                        buffer.WriteByte(AsoStateCodec.TagFloat);
                        buffer.WriteInt64LittleEndian(BitConverter.DoubleToInt64Bits(ToNumber(_L, idx)));
                    }
                    break;
                default:
                    var bytes = StringBytes(_L, idx);
                    buffer.WriteByte(AsoStateCodec.TagString);
                    buffer.WriteVarint((ulong)bytes.Length);
                    buffer.WriteBytes(bytes);
                    break;
            }
        }

        private NotDataException NotData(int type) =>
            new(Where() + $"a {TypeName(type)} value cannot be stored or sent; only strings, numbers, booleans and tables of them can");

        private string Where()
        {
            if (_fieldKey == 0)
            {
                return "";
            }
            string name = lua_type(_L, _fieldKey) switch
            {
                LUA_TSTRING => System.Text.Encoding.UTF8.GetString(StringBytes(_L, _fieldKey)),
                LUA_TNUMBER => lua_isinteger(_L, _fieldKey) != 0 ? ToInteger(_L, _fieldKey).ToString(System.Globalization.CultureInfo.InvariantCulture) : ToNumber(_L, _fieldKey).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => "?",
            };
            return $"field '{name}': ";
        }
    }

    internal static string TypeName(int type) => type switch
    {
        LUA_TNIL => "nil",
        LUA_TBOOLEAN => "boolean",
        LUA_TLIGHTUSERDATA or LUA_TUSERDATA => "userdata",
        LUA_TNUMBER => "number",
        LUA_TSTRING => "string",
        LUA_TTABLE => "table",
        LUA_TFUNCTION => "function",
        LUA_TTHREAD => "thread",
        _ => "no value",
    };

#pragma warning disable CA1032, CA1064 // Internal control flow of the walker.
    private sealed class NotDataException(string message) : Exception(message);
#pragma warning restore CA1032, CA1064
}
