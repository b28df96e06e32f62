using System.Security.Cryptography;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;

namespace Comet.Abstractions.Tests.Keys;

public class ObjectKeyTests
{
    [Fact]
    public void Hash_is_the_first_eight_bytes_of_sha256_over_namespace_zero_key()
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("default\0hello"));
        var expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest);
        Assert.Equal(expected, ObjectKey.Create("default", "hello").Hash);
        Assert.Equal(expected, KeyHash.Of("default", "hello"));
    }

    [Fact]
    public void Namespace_and_key_boundary_is_part_of_the_hash()
    {
        Assert.NotEqual(KeyHash.Of("ab", "c"), KeyHash.Of("a", "bc"));
    }

    [Fact]
    public void Long_keys_hash_the_same_as_computed_directly()
    {
        var key = new string('é', 512); // 1024 UTF-8 bytes: past the stack buffer
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("ns\0" + key));
        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest), ObjectKey.Create("ns", key).Hash);
    }

    [Fact]
    public void Empty_or_invalid_unicode_keys_are_bad_keys()
    {
        // Built at run time: xunit would replace lone surrogates in theory data.
        foreach (var key in new[] { "", "\ud800", "abc\udc00", "\udc00\ud800" })
        {
            var ex = Assert.Throws<CometException>(() => ObjectKey.Create("default", key));
            Assert.Equal(CometErrorCode.BadKey, ex.Code);
        }
    }

    [Fact]
    public void Key_longer_than_1024_utf8_bytes_is_a_bad_key_and_exactly_1024_is_fine()
    {
        ObjectKey.Create("default", new string('x', 1024));
        var ex = Assert.Throws<CometException>(() => ObjectKey.Create("default", new string('é', 513)));
        Assert.Equal(CometErrorCode.BadKey, ex.Code);
        Assert.Contains("1024", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Default")]
    [InlineData("-lead")]
    [InlineData("has space")]
    [InlineData("slash/no")]
    public void Bad_namespaces_are_refused_with_a_reason(string ns)
    {
        var ex = Assert.Throws<CometException>(() => ObjectKey.Create(ns, "k"));
        Assert.Equal(CometErrorCode.BadKey, ex.Code);
    }

    [Theory]
    [InlineData("default")]
    [InlineData("app-1.users_v2")]
    [InlineData("0")]
    public void Good_namespaces_are_accepted(string ns) => Assert.Equal(ns, ObjectKey.Create(ns, "k").Namespace);

    [Fact]
    public void Keys_may_hold_any_unicode_including_slashes_and_controls()
    {
        var key = ObjectKey.Create("default", "a/b?c#d%\u0001\u00e9\U0001F600");
        Assert.Equal("a/b?c#d%\u0001\u00e9\U0001F600", key.Key);
    }
}
