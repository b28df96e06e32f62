namespace Comet.Sandbox.State;

/// <summary>
/// An upper estimate of the Lua heap a value takes once <see cref="LuaDataWriter"/> has pushed it
/// (Lua 5.4, 64-bit: a table header is 56 bytes, an array slot 16, a hash node 32 with the part
/// rounded up to a power of two; a string 24 bytes of header plus its bytes and a NUL). The
/// host checks it against what is left of the object's heap budget before it pushes anything
/// (SANDBOX.md H2): a value that would not fit is refused, never built first and checked after.
/// </summary>
internal static class LuaHeapCost
{
    private const long TableHeader = 56;
    private const long ArraySlot = 16;
    private const long HashNode = 32;
    private const long StringHeader = 24 + 1 + 7;

    /// <summary>The estimate, or a number above <paramref name="cap"/> as soon as the walk passes it (O(cap) work for any value).</summary>
    public static long Of(AsoValue value, long cap)
    {
        long total = 0;
        Add(value, cap, ref total);
        return total;
    }

    private static void Add(AsoValue value, long cap, ref long total)
    {
        if (total > cap)
        {
            return;
        }
        switch (value.Kind)
        {
            case AsoValueKind.String:
                total += StringHeader + value.StringSpan.Length;
                break;
            case AsoValueKind.Table:
                var array = value.ArrayItems;
                var map = value.MapItems;
                total += TableHeader + ArraySlot * array.Length + HashNode * (map.Length == 0 ? 0 : (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)map.Length));
                foreach (var item in array)
                {
                    Add(item, cap, ref total);
                    if (total > cap)
                    {
                        return;
                    }
                }
                foreach (var (k, v) in map)
                {
                    Add(k, cap, ref total);
                    Add(v, cap, ref total);
                    if (total > cap)
                    {
                        return;
                    }
                }
                break;
        }
    }
}
