using System.Buffers;
using System.Text;
using Comet.Abstractions.Wire;

namespace Comet.Abstractions.Tests.Wire;

public class HelloTests
{
    [Fact]
    public void A_hello_round_trips()
    {
        var hello = new Hello(NodeRole.Silo, "silo-ü-1", Encoding.UTF8.GetBytes("secret proof"));
        var writer = new ArrayBufferWriter<byte>();
        hello.WritePayload(writer);

        Assert.True(Hello.TryParse(writer.WrittenSpan, out Hello? read, out string? error), error);
        Assert.Equal(NodeRole.Silo, read!.Role);
        Assert.Equal("silo-ü-1", read.NodeId);
        Assert.Equal(Hello.CurrentProtocolVersion, read.ProtocolVersion);
        Assert.Equal("secret proof", Encoding.UTF8.GetString(read.Auth.Span));
    }

    [Fact]
    public void The_protocol_version_is_readable_from_the_first_two_bytes()
    {
        var writer = new ArrayBufferWriter<byte>();
        new Hello(NodeRole.Client, "c", protocolVersion: 7).WritePayload(writer);

        Assert.True(Hello.TryReadProtocolVersion(writer.WrittenSpan, out ushort version));
        Assert.Equal(7, version);
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 1 }, "fewer than the 8")]
    [InlineData(new byte[] { 1, 0, 9, 0, 1, 0, 0x41, 0, 0 }, "role 9")]
    [InlineData(new byte[] { 1, 0, 1, 0, 0, 0, 0, 0 }, "node id length 0")]
    [InlineData(new byte[] { 1, 0, 1, 0, 1, 0, 0xFF, 0, 0 }, "not valid UTF-8")]
    [InlineData(new byte[] { 1, 0, 1, 0, 1, 0, 0x41, 5, 0 }, "auth length 5")]
    public void A_bad_hello_is_rejected_with_a_reason(byte[] payload, string reason)
    {
        Assert.False(Hello.TryParse(payload, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
