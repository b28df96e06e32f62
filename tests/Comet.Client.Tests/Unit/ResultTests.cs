using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;

namespace Comet.Client.Tests.Unit;

public class ResultTests
{
    private static CometVersionedValue Version(string id, string text, ObjectKind kind = ObjectKind.Value) =>
        new(id, kind, Encoding.UTF8.GetBytes(text), expiresAt: null);

    private sealed record Greeting(string Text, int Count);

    [Fact]
    public void One_version_is_the_value()
    {
        var result = new CometGetResult("k", [Version("silo-1:1", "hello")], "ctx");

        Assert.False(result.HasSiblings);
        Assert.Equal("hello", result.Value.AsString());
        Assert.Equal("hello", result.AsString());
    }

    [Fact]
    public void Siblings_have_no_single_value_and_the_error_says_to_put_with_the_context()
    {
        var result = new CometGetResult("cart", [Version("silo-1:2", "a"), Version("silo-2:1", "b")], "ctx-token");

        Assert.True(result.HasSiblings);
        var error = Assert.Throws<CometSiblingsException>(() => result.Value);
        Assert.Equal(CometErrorCode.Conflict, error.Code);
        Assert.Equal("ctx-token", error.Context);
        Assert.Equal(2, error.Versions.Count);
        Assert.Contains("cart", error.Message, StringComparison.Ordinal);
        Assert.Contains("Context", error.Message, StringComparison.Ordinal);
        Assert.IsType<CometException>(error, exactMatch: false);
    }

    [Fact]
    public void An_aso_answer_reads_as_json_and_as_a_type()
    {
        var value = Version("silo-1:1", """{"text":"hi","count":2}""", ObjectKind.Aso);

        Assert.Equal("hi", value.AsJson().GetProperty("text").GetString());
        Assert.Equal(new Greeting("hi", 2), value.As<Greeting>());
    }

    [Fact]
    public void Bytes_that_are_not_json_fail_as_BadRequest_saying_how_to_read_them()
    {
        var value = Version("silo-1:1", "plain text");

        var error = Assert.Throws<CometException>(() => value.AsJson());
        Assert.Equal(CometErrorCode.BadRequest, error.Code);
        Assert.Contains("AsString", error.Message, StringComparison.Ordinal);
        Assert.Equal(CometErrorCode.BadRequest, Assert.Throws<CometException>(() => value.As<Greeting>()).Code);
    }

    [Fact]
    public void Times_of_zero_mean_never_and_others_are_unix_milliseconds()
    {
        Assert.Null(AnswerMapping.TimeOf(0));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), AnswerMapping.TimeOf(1_700_000_000_000));
        Assert.Equal(CometErrorCode.Internal, Assert.Throws<CometException>(() => AnswerMapping.TimeOf(long.MaxValue)).Code);
    }
}

public class AnswerMappingTests
{
    [Fact]
    public void A_get_with_no_live_version_is_NotFound_naming_the_key()
    {
        var error = Assert.Throws<CometException>(() => AnswerMapping.Get(new Comet.Grains.GetResult([], "ctx"), "gone"));

        Assert.Equal(CometErrorCode.NotFound, error.Code);
        Assert.Contains("gone", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Siblings_keep_every_version_and_the_context()
    {
        var answer = new Comet.Grains.GetResult(
            [new Comet.Grains.GetItem("silo-1:1", ObjectKind.Value, "a"u8.ToArray(), 0), new Comet.Grains.GetItem("silo-2:1", ObjectKind.Value, "b"u8.ToArray(), 1_700_000_000_000)],
            "ctx");

        var result = AnswerMapping.Get(answer, "cart");

        Assert.True(result.HasSiblings);
        Assert.Equal("ctx", result.Context);
        Assert.Equal(["a", "b"], result.Versions.Select(v => v.AsString()));
        Assert.Null(result.Versions[0].ExpiresAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), result.Versions[1].ExpiresAt);
    }
}
