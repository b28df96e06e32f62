using Comet.Abstractions.Errors;
using Comet.Sandbox.Tests.Support;
using FsCheck;
using FsCheck.Fluent;

namespace Comet.Sandbox.Tests;

public class StateCodecTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void Any_value_survives_encode_then_decode()
    {
        Check.One(Quick, Prop.ForAll(AsoGen.ValueArb, value =>
        {
            var bytes = AsoStateCodec.Encode(value);
            var decoded = AsoStateCodec.Decode(bytes);
            return decoded.Equals(value) && AsoStateCodec.Encode(decoded).AsSpan().SequenceEqual(bytes);
        }));
    }

    [Fact]
    public void The_same_table_built_in_any_order_encodes_to_the_same_bytes()
    {
        Check.One(Quick, Prop.ForAll(AsoGen.TableArb, table =>
        {
            var entries = table.ArrayPart.Select((v, i) => new KeyValuePair<AsoValue, AsoValue>(AsoValue.FromInt64(i + 1), v))
                .Concat(table.MapPart).ToList();
            var reversed = Enumerable.Reverse(entries).ToList();
            var shuffled = entries.OrderBy(e => e.Key.GetHashCode()).ToList();
            var a = AsoStateCodec.Encode(AsoValue.Table(reversed));
            var b = AsoStateCodec.Encode(AsoValue.Table(shuffled));
            return a.AsSpan().SequenceEqual(b) && a.AsSpan().SequenceEqual(AsoStateCodec.Encode(table));
        }));
    }

    [Fact]
    public async Task Data_stored_by_lua_in_any_insertion_order_encodes_like_the_codec()
    {
        // The handler rebuilds the incoming data inserting keys in reverse traversal order (so
        // integer keys land in the hash part); the object's encoded state must still be the
        // canonical encoding of the same data.
        var runtime = Asos.Runtime(o =>
        {
            o.InstructionLimit = 10_000_000;
            o.MemoryLimitBytes = 4 * 1024 * 1024;
        });
        using var obj = Asos.Load("""
            local function rebuild(v)
              if type(v) ~= "table" then return v end
              local keys = {}
              for k in pairs(v) do keys[#keys + 1] = k end
              local t = {}
              for i = #keys, 1, -1 do t[keys[i]] = rebuild(v[keys[i]]) end
              return t
            end
            function aso:onUpdate(caller, incoming)
              self.v = rebuild(incoming)
              self.same = incoming
            end
            """, runtime: runtime);

        var values = Gen.Sample(AsoGen.Value, 200, 20);
        foreach (var value in values)
        {
            await obj.OnUpdateAsync(Asos.Client(), value);
            var expected = AsoValue.Table(("v", value), ("same", value));
            Assert.Equal(AsoStateCodec.Encode(expected), obj.EncodeState());
            Assert.Equal(expected, obj.Data);
        }
    }

    [Fact]
    public async Task Lua_tables_filled_in_different_orders_encode_identically()
    {
        using var a = Asos.Load("aso.t = {} aso.t.x = 1 aso.t[1] = 'a' aso.t[2] = 'b' aso.t.y = {z = true} aso.t[10] = 0.5");
        using var b = Asos.Load("aso.t = {} aso.t[10] = 0.5 aso.t.y = {z = true} aso.t[2] = 'b' aso.t.x = 1 aso.t[1] = 'a'");
        using var c = Asos.Load("aso.t = {'a', 'b', x = 1, y = {z = true}, [10] = 0.5}");

        Assert.Equal(a.EncodeState(), b.EncodeState());
        Assert.Equal(a.EncodeState(), c.EncodeState());
        await Task.CompletedTask;
    }

    [Theory]
    [InlineData("", "magic")]
    [InlineData("00 01 00", "magic")]
    [InlineData("A5 02 00", "version")]
    [InlineData("A5 01", "ends in the middle")]
    [InlineData("A5 01 07", "not a value tag")]
    [InlineData("A5 01 00 00", "follow the value")]
    [InlineData("A5 01 03", "ends in the middle")]
    [InlineData("A5 01 03 80 00", "shortest form")]
    [InlineData("A5 01 03 FF FF FF FF FF FF FF FF FF 7F", "overflows")]
    [InlineData("A5 01 04 00 00 00", "cut short")]
    [InlineData("A5 01 05 05 61 62", "remaining bytes")]
    [InlineData("A5 01 06 01 00 00", "array item is nil")]
    [InlineData("A5 01 06 00 01 00 02", "cannot be a table key")]
    [InlineData("A5 01 06 00 01 06 00 00 02", "cannot be a table key")]
    [InlineData("A5 01 06 00 02 05 01 62 02 05 01 61 02", "ascending")]
    [InlineData("A5 01 06 00 02 05 01 61 02 05 01 61 02", "ascending")]
    [InlineData("A5 01 06 00 01 03 02 02", "belongs in the array part")]
    [InlineData("A5 01 06 00 01 04 00 00 00 00 00 00 00 40 02", "integer value")]
    [InlineData("A5 01 06 00 01 04 00 00 00 00 00 00 F8 7F 02", "NaN")]
    [InlineData("A5 01 06 00 01 05 01 61 00", "map value is nil")]
    [InlineData("A5 01 06 FF FF FF FF 0F", "more than the remaining bytes")]
    public void Malformed_bytes_are_refused_with_a_typed_error(string hex, string why)
    {
        var bytes = hex.Length == 0 ? [] : Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

        var e = Assert.Throws<AsoException>(() => AsoStateCodec.Decode(bytes));

        Assert.Equal(CometErrorCode.BadRequest, e.Code);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_both_ways()
    {
        var deep = AsoValue.Array(1L);
        for (int i = 0; i < AsoStateCodec.MaxDepth; i++)
        {
            deep = AsoValue.Array(deep);
        }
        var bytes = new List<byte> { 0xA5, 0x01 };
        for (int i = 0; i <= AsoStateCodec.MaxDepth; i++)
        {
            bytes.AddRange(new byte[] { 0x06, 0x01 });
        }
        bytes.AddRange(new byte[] { 0x02 });
        for (int i = 0; i <= AsoStateCodec.MaxDepth; i++)
        {
            bytes.Add(0x00);
        }

        Assert.Equal(CometErrorCode.BadRequest, Assert.Throws<AsoException>(() => AsoStateCodec.Encode(deep)).Code);
        Assert.Contains("deeper", Assert.Throws<AsoException>(() => AsoStateCodec.Decode(bytes.ToArray())).Message);
    }

    [Fact]
    public void Random_bytes_are_either_refused_or_a_canonical_encoding()
    {
        var arb = Gen.ArrayOf(ArbMap.Default.ArbFor<byte>().Generator).Select(b => new byte[] { 0xA5, 0x01 }.Concat(b).ToArray()).ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(arb, bytes => DecodesCanonicallyOrRefuses(bytes)));
    }

    [Fact]
    public void Corrupted_encodings_are_either_refused_or_a_canonical_encoding()
    {
        var arb = AsoGen.Value.SelectMany(
            v => Gen.Zip(Gen.Choose(0, 1000), ArbMap.Default.ArbFor<byte>().Generator),
            (v, m) =>
            {
                var bytes = AsoStateCodec.Encode(v);
                bytes[m.Item1 % bytes.Length] ^= (byte)(m.Item2 | 1);
                return bytes;
            }).ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(arb, bytes => DecodesCanonicallyOrRefuses(bytes)));
    }

    [Fact]
    public void Encoding_past_the_size_limit_is_too_large()
    {
        var e = Assert.Throws<AsoException>(() => AsoStateCodec.Encode(AsoValue.FromString(new string('x', 100)), 50));

        Assert.Equal(CometErrorCode.TooLarge, e.Code);
    }

    private static bool DecodesCanonicallyOrRefuses(byte[] bytes)
    {
        try
        {
            var value = AsoStateCodec.Decode(bytes);
            return AsoStateCodec.Encode(value).AsSpan().SequenceEqual(bytes);
        }
        catch (AsoException e) when (e.Code == CometErrorCode.BadRequest)
        {
            return true;
        }
    }
}
