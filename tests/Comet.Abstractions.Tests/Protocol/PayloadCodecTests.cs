using System.Buffers;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using FsCheck;
using FsCheck.Fluent;

namespace Comet.Abstractions.Tests.Protocol;

public class PayloadCodecTests
{
    [Fact]
    public void Values_round_trip()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new PayloadWriter(buffer);
        w.WriteVarUInt(ulong.MaxValue);
        w.WriteVarInt(-5);
        w.WriteString("héllo ✓");
        w.WriteNullableString(null);
        w.WriteNullableString("");
        w.WriteBytes(new byte[] { 1, 2, 3 });
        w.WriteNullableBytes(null);
        w.WriteDouble(1.5);
        w.WriteBool(true);
        var r = new PayloadReader(buffer.WrittenSpan);
        Assert.Equal(ulong.MaxValue, r.ReadVarUInt());
        Assert.Equal(-5, r.ReadVarInt());
        Assert.Equal("héllo ✓", r.ReadString());
        Assert.Null(r.ReadNullableString());
        Assert.Equal("", r.ReadNullableString());
        Assert.Equal(new byte[] { 1, 2, 3 }, r.ReadBytes());
        Assert.Null(r.ReadNullableBytes());
        Assert.Equal(1.5, r.ReadDouble());
        Assert.True(r.ReadBool());
        r.ExpectEnd();
    }

    [Fact]
    public void Truncated_and_forged_payloads_are_malformed_not_crashes()
    {
        Assert.Equal(CometErrorCode.MalformedFrame, Assert.Throws<CometException>(() => new PayloadReader([0x05, 0x61]).ReadString()).Code);
        Assert.Equal(CometErrorCode.MalformedFrame, Assert.Throws<CometException>(() => new PayloadReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).ReadVarUInt()).Code);
        Assert.Equal(CometErrorCode.MalformedFrame, Assert.Throws<CometException>(() => new PayloadReader([0x02, 0xC3, 0x28]).ReadString()).Code);
        Assert.Equal(CometErrorCode.MalformedFrame, Assert.Throws<CometException>(() => new PayloadReader([0x07]).ReadBool()).Code);
    }

    [Fact]
    public void Random_bytes_never_escape_as_anything_but_malformed()
    {
        Prop.ForAll<byte[]>(bytes =>
        {
            try
            {
                var r = new PayloadReader(bytes);
                while (!r.End)
                {
                    r.ReadString();
                    r.ReadVarInt();
                    r.ReadNullableBytes();
                }
                return true;
            }
            catch (CometException ex)
            {
                return ex.Code == CometErrorCode.MalformedFrame;
            }
        }).QuickCheckThrowOnFailure();
    }
}
