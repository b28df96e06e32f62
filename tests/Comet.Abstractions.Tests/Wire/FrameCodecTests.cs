using System.Buffers;
using System.Buffers.Binary;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Wire;
using FsCheck;
using FsCheck.Fluent;

namespace Comet.Abstractions.Tests.Wire;

public class FrameCodecTests
{
    private static readonly FrameKind[] Kinds = Enum.GetValues<FrameKind>();

    [Fact]
    public void A_frame_round_trips_through_the_codec()
    {
        var writer = new ArrayBufferWriter<byte>();
        byte[] payload = [1, 2, 3, 4, 5];
        FrameCodec.WriteFrame(writer, new FrameHeader(FrameKind.Request, 0xBEEF, 0x0102030405060708, payload.Length), payload);

        Assert.Equal(FrameCodec.PrefixedHeaderSize + payload.Length, writer.WrittenCount);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out FrameHeader header, out ReadOnlySequence<byte> read, out _));
        Assert.Equal(new FrameHeader(FrameKind.Request, 0xBEEF, 0x0102030405060708, payload.Length), header);
        Assert.Equal(payload, read.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void The_layout_is_a_little_endian_length_then_kind_flags_opcode_and_request_id()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteFrame(writer, new FrameHeader(FrameKind.Response, 0x0201, 0x0A, 1), [0xFF]);

        byte[] expected = [13, 0, 0, 0, 3, 0, 0x01, 0x02, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0xFF];
        Assert.Equal(expected, writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Encode_then_decode_is_the_identity_for_any_frames_split_anywhere()
    {
        Gen<(FrameKind Kind, ushort Opcode, ulong Id, byte[] Payload)> frame =
            from kind in Gen.Elements(Kinds)
            from opcode in Gen.Choose(0, ushort.MaxValue)
            from idHigh in Gen.Choose(int.MinValue, int.MaxValue)
            from idLow in Gen.Choose(int.MinValue, int.MaxValue)
            from length in Gen.Choose(0, 600)
            from payload in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
            select (kind, (ushort)opcode, ((ulong)(uint)idHigh << 32) | (uint)idLow, payload);
        Gen<((FrameKind Kind, ushort Opcode, ulong Id, byte[] Payload)[] Frames, int[] Cuts)> input =
            from frames in Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(frame, n))
            from cuts in Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 4000), n))
            select (frames, cuts);

        Prop.ForAll(input.ToArbitrary(), testCase =>
        {
            var writer = new ArrayBufferWriter<byte>();
            foreach (var f in testCase.Frames)
            {
                FrameCodec.WriteFrame(writer, new FrameHeader(f.Kind, f.Opcode, f.Id, f.Payload.Length), f.Payload);
            }

            ReadOnlySequence<byte> buffer = Segmented.Split(writer.WrittenMemory, testCase.Cuts);
            foreach (var f in testCase.Frames)
            {
                if (FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out FrameHeader header, out ReadOnlySequence<byte> payload, out _) != FrameReadStatus.Complete
                    || header != new FrameHeader(f.Kind, f.Opcode, f.Id, f.Payload.Length)
                    || !payload.ToArray().AsSpan().SequenceEqual(f.Payload))
                {
                    return false;
                }
            }

            return buffer.IsEmpty;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Every_proper_prefix_of_a_frame_is_incomplete_never_malformed()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteFrame(writer, new FrameHeader(FrameKind.OneWay, 7, 0, 20), new byte[20]);
        for (int length = 0; length < writer.WrittenCount; length++)
        {
            var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory[..length]);
            Assert.Equal(FrameReadStatus.Incomplete, FrameCodec.TryReadFrame(ref buffer, 1024, out _, out _, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Theory]
    [InlineData(uint.MaxValue, "more than the maximum")]
    [InlineData(1025u, "more than the maximum")]
    [InlineData(0u, "less than the 12-byte header")]
    [InlineData(11u, "less than the 12-byte header")]
    public void A_declared_length_out_of_range_is_malformed_as_soon_as_the_prefix_arrives(uint declared, string reason)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, declared);
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Equal(FrameReadStatus.Malformed, FrameCodec.TryReadFrame(ref buffer, 1024, out _, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(200)]
    public void An_unknown_kind_is_malformed_before_the_rest_of_the_frame_arrives(byte kind)
    {
        byte[] bytes = [20, 0, 0, 0, kind];
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Equal(FrameReadStatus.Malformed, FrameCodec.TryReadFrame(ref buffer, 1024, out _, out _, out string? error));
        Assert.Contains($"unknown frame kind {kind}", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_zero_reserved_flags_are_malformed()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteFrame(writer, new FrameHeader(FrameKind.Request, 1, 1, 0), []);
        byte[] bytes = writer.WrittenSpan.ToArray();
        bytes[5] = 0x80;
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Equal(FrameReadStatus.Malformed, FrameCodec.TryReadFrame(ref buffer, 1024, out _, out _, out string? error));
        Assert.Contains("flags", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_payload_carries_the_code_and_the_utf8_message()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteErrorPayload(writer, CometErrorCode.Rejected, "onUpdate said no — ünïcode");

        CometException error = FrameCodec.ReadErrorPayload(writer.WrittenSpan);
        Assert.Equal(CometErrorCode.Rejected, error.Code);
        Assert.Equal("onUpdate said no — ünïcode", error.Message);
    }

    [Fact]
    public void A_malformed_frame_error_payload_reads_as_MalformedFrameException()
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteErrorPayload(writer, CometErrorCode.MalformedFrame, "bad");

        Assert.IsType<MalformedFrameException>(FrameCodec.ReadErrorPayload(writer.WrittenSpan));
        Assert.Equal(CometErrorCode.MalformedFrame, FrameCodec.ReadErrorPayload([1, 2]).Code);
    }
}

/// <summary>Builds multi-segment sequences so decoders are exercised across segment boundaries.</summary>
internal sealed class Segmented : ReadOnlySequenceSegment<byte>
{
    private Segmented(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> bytes, IEnumerable<int> cuts)
    {
        int[] points = cuts.Where(c => c > 0 && c < bytes.Length).Distinct().Order().ToArray();
        if (points.Length == 0)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segmented(bytes[..points[0]], 0);
        Segmented last = first;
        for (int i = 0; i < points.Length; i++)
        {
            int end = i + 1 < points.Length ? points[i + 1] : bytes.Length;
            var next = new Segmented(bytes[points[i]..end], points[i]);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
