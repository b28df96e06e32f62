using System.Text.Json;
using Comet.Abstractions.Errors;

namespace Comet.Sandbox.Tests;

public class AsoValueTests
{
    [Fact]
    public void Tables_are_normalised_like_lua_sees_them()
    {
        var t = AsoValue.Table((2L, "b"), (1.0, "a"), ("x", AsoValue.Nil), (4L, "d"), ("k", 1.5));

        Assert.Equal(new[] { AsoValue.FromString("a"), AsoValue.FromString("b") }, t.ArrayPart);
        Assert.Equal(2, t.MapPart.Count);
        Assert.Equal("d", t[4].AsString());
        Assert.True(t["x"].IsNil);
        Assert.Equal(4, t.Count);
        Assert.True(t.TryGetValue(AsoValue.FromDouble(2.0), out var b) && b.AsString() == "b");
    }

    [Fact]
    public void Equality_is_by_value_and_order_free()
    {
        var a = AsoValue.Table(("x", 1L), ("y", AsoValue.Array("p", "q")));
        var b = AsoValue.Table(("y", AsoValue.Array("p", "q")), ("x", 1L));

        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(AsoValue.FromInt64(1), AsoValue.FromDouble(1.0));
        Assert.Equal(AsoValue.FromDouble(double.NaN), AsoValue.FromDouble(double.NaN));
        Assert.NotEqual(AsoValue.FromDouble(0.0), AsoValue.FromDouble(-0.0));
    }

    [Fact]
    public void Bad_tables_are_refused()
    {
        Assert.Throws<ArgumentException>(() => AsoValue.Table((AsoValue.Nil, 1L)));
        Assert.Throws<ArgumentException>(() => AsoValue.Table((double.NaN, 1L)));
        Assert.Throws<ArgumentException>(() => AsoValue.Table((AsoValue.EmptyTable, 1L)));
        Assert.Throws<ArgumentException>(() => AsoValue.Table(("a", 1L), ("a", 2L)));
        Assert.Throws<ArgumentException>(() => AsoValue.Table((1L, "x"), (1.0, "y")));
        Assert.Throws<ArgumentException>(() => AsoValue.Array("a", AsoValue.Nil));
    }

    [Fact]
    public void Strings_keep_bytes_and_expose_text_only_when_valid_utf8()
    {
        var text = AsoValue.FromString("héllo");
        var bytes = AsoValue.FromUtf8([0xFF, 0x41]);

        Assert.True(text.IsUtf8);
        Assert.Equal("héllo", text.AsString());
        Assert.False(bytes.IsUtf8);
        Assert.Throws<InvalidOperationException>(() => bytes.AsString());
        Assert.False(bytes.TryGetString(out _));
        Assert.Equal(new byte[] { 0xFF, 0x41 }, bytes.AsBytes().ToArray());
    }

    [Fact]
    public void Accessors_check_the_kind()
    {
        Assert.Throws<InvalidOperationException>(() => AsoValue.FromString("1").AsInt64());
        Assert.Throws<InvalidOperationException>(() => AsoValue.True.ArrayPart);
        Assert.Equal(2.0, AsoValue.FromInt64(2).AsDouble());
        Assert.True(AsoValue.FromInt64(0).IsTruthy);
        Assert.False(AsoValue.False.IsTruthy);
        Assert.False(AsoValue.Nil.IsTruthy);
    }

    [Fact]
    public void Parts_cannot_be_written_through()
    {
        var t = AsoValue.Array(1L, 2L);

        var array = Assert.IsAssignableFrom<IList<AsoValue>>(t.ArrayPart);
        Assert.Throws<NotSupportedException>(() => array[0] = AsoValue.FromInt64(9));
        Assert.Equal(1L, t[1].AsInt64());
    }
}

public class AsoJsonTests
{
    [Theory]
    [InlineData("{1, 2, 3}", "[1,2,3]")]
    [InlineData("{}", "{}")]
    [InlineData("{a = 1}", "{\"a\":1}")]
    [InlineData("{1, 2, x = 'y'}", "{\"1\":1,\"2\":2,\"x\":\"y\"}")]
    [InlineData("{[2] = 'b'}", "{\"2\":\"b\"}")]
    [InlineData("{1.5, 2.0, 1e300}", "[1.5,2.0,1E+300]")]
    [InlineData("{0/0, 1/0}", "[null,null]")]
    [InlineData("{true, false}", "[true,false]")]
    [InlineData("'héllo ✓'", "\"héllo ✓\"")]
    [InlineData("{n = {list = {{}}}}", "{\"n\":{\"list\":[{}]}}")]
    [InlineData("nil", "null")]
    public async Task Lua_results_render_as_json_arrays_and_objects(string lua, string json)
    {
        using var obj = Support.Asos.Load($"function aso:onGet() return {lua} end");

        var value = (await obj.OnGetAsync(Support.Asos.Client())).Result;

        Assert.Equal(json, value.ToJson());
    }

    [Fact]
    public void Json_utf8_text_survives_both_ways()
    {
        var value = AsoJson.Parse("{\"name\":\"日本 ✓ é\",\"list\":[1,2.5,\"x\"],\"nested\":{\"ok\":true,\"none\":null}}");

        Assert.Equal("日本 ✓ é", value["name"].AsString());
        Assert.Equal(AsoValue.Array(1L, 2.5, "x"), value["list"]);
        Assert.True(value["nested"]["none"].IsNil);
        Assert.Equal(value, AsoJson.Parse(value.ToJson()));
    }

    [Fact]
    public void Json_numbers_become_integers_or_floats_by_their_text()
    {
        var value = AsoJson.Parse("[1, 1.0, 1e2, 9223372036854775807, 9223372036854775808]");

        Assert.Equal(AsoValueKind.Integer, value[1].Kind);
        Assert.Equal(AsoValueKind.Float, value[2].Kind);
        Assert.Equal(AsoValueKind.Float, value[3].Kind);
        Assert.Equal(long.MaxValue, value[4].AsInt64());
        Assert.Equal(AsoValueKind.Float, value[5].Kind);
    }

    [Fact]
    public void Json_array_holes_and_invalid_utf8_are_rendered_predictably()
    {
        var holes = AsoJson.Parse("[1, null, 3]");
        var bytes = AsoValue.Table(("s", AsoValue.FromUtf8([0x61, 0xFF])));

        Assert.Equal("{\"1\":1,\"3\":3}", holes.ToJson());
        Assert.Equal("{\"s\":\"a\uFFFD\"}", bytes.ToJson());
    }

    [Fact]
    public void Bad_json_is_a_bad_request()
    {
        Assert.Equal(CometErrorCode.BadRequest, Assert.Throws<AsoException>(() => AsoJson.Parse("{")).Code);
        Assert.Equal(CometErrorCode.BadRequest, Assert.Throws<AsoException>(() => AsoJson.Parse("{\"a\":1,\"a\":2}")).Code);
        using var deep = JsonDocument.Parse(new string('[', 60) + new string(']', 60));
        Assert.Equal(AsoValueKind.Table, AsoValue.FromJson(deep.RootElement).Kind);
        var tooDeep = new string('[', 70) + new string(']', 70);
        Assert.ThrowsAny<Exception>(() => AsoJson.Parse(tooDeep));
    }

    [Fact]
    public void WriteJson_writes_into_a_caller_writer()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("result");
            AsoValue.Array("a", 1L).WriteJson(writer);
            writer.WriteEndObject();
        }

        Assert.Equal("{\"result\":[\"a\",1]}", System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
