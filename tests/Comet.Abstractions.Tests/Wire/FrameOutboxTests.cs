using System.Buffers;
using Comet.Abstractions.Wire;

namespace Comet.Abstractions.Tests.Wire;

public class FrameOutboxTests
{
    [Fact]
    public void Rollback_removes_everything_written_after_the_mark_even_across_segments()
    {
        var outbox = new FrameOutbox();
        outbox.Write(new byte[] { 1, 2, 3 });
        FrameOutbox.Mark mark = outbox.GetMark();
        outbox.Write(new byte[40_000]);
        Assert.Equal(40_003, outbox.Length);

        outbox.Rollback(mark);
        outbox.Write(new byte[] { 4 });

        Assert.Equal(new byte[] { 1, 2, 3, 4 }, Flatten(outbox));
        outbox.Release();
    }

    [Fact]
    public void A_reserved_header_can_be_filled_in_after_the_payload()
    {
        var outbox = new FrameOutbox();
        ArraySegment<byte> reserved = outbox.Reserve(2);
        outbox.Write(new byte[] { 9, 9, 9 });
        reserved.AsSpan().Fill(7);

        Assert.Equal(new byte[] { 7, 7, 9, 9, 9 }, Flatten(outbox));
        outbox.Reset();
        Assert.True(outbox.IsEmpty);
        Assert.Empty(outbox.GetSegments());
        outbox.Release();
    }

    private static byte[] Flatten(FrameOutbox outbox) => outbox.GetSegments().SelectMany(s => s).ToArray();
}
