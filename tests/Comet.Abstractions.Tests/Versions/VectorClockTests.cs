using System.Buffers;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;
using FsCheck;
using FsCheck.Fluent;

namespace Comet.Abstractions.Tests.Versions;

public class VectorClockTests
{
    private static VectorClock Clock(params (string Node, ulong Counter)[] entries)
    {
        var clock = VectorClock.Empty;
        foreach (var (node, counter) in entries) clock = clock.With(node, counter);
        return clock;
    }

    [Fact]
    public void Compare_orders_descendants_and_detects_concurrency()
    {
        var a = Clock(("s1", 1));
        var b = Clock(("s1", 2));
        var c = Clock(("s1", 1), ("s2", 1));
        Assert.Equal(ClockOrder.Before, a.CompareTo(b));
        Assert.Equal(ClockOrder.After, b.CompareTo(a));
        Assert.Equal(ClockOrder.Concurrent, b.CompareTo(c));
        Assert.Equal(ClockOrder.Equal, a.CompareTo(Clock(("s1", 1))));
        Assert.Equal(ClockOrder.Before, VectorClock.Empty.CompareTo(a));
    }

    [Fact]
    public void With_never_lowers_an_entry()
    {
        var clock = Clock(("s1", 5)).With("s1", 3);
        Assert.Equal(5UL, clock["s1"]);
    }

    [Fact]
    public void Merge_descends_from_both_inputs()
    {
        var a = Clock(("s1", 3), ("s2", 1));
        var b = Clock(("s2", 4), ("s3", 2));
        var m = a.Merge(b);
        Assert.Equal(ClockOrder.After, m.CompareTo(a));
        Assert.Equal(ClockOrder.After, m.CompareTo(b));
        Assert.Equal(3UL, m["s1"]);
        Assert.Equal(4UL, m["s2"]);
        Assert.Equal(2UL, m["s3"]);
    }

    [Fact]
    public void Token_round_trips_and_a_damaged_token_is_a_bad_request()
    {
        var clock = Clock(("silo-a", 7), ("silo-b", 300));
        Assert.Equal(clock, VectorClock.FromToken(clock.ToToken()));
        var ex = Assert.Throws<CometException>(() => VectorClock.FromToken("!!not-base64"));
        Assert.Equal(CometErrorCode.BadRequest, ex.Code);
        ex = Assert.Throws<CometException>(() => VectorClock.FromToken("AQ"));
        Assert.Equal(CometErrorCode.BadRequest, ex.Code);
    }

    [Fact]
    public void Unsorted_entries_in_a_payload_are_malformed()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new PayloadWriter(buffer);
        writer.WriteVarUInt(2);
        writer.WriteString("b");
        writer.WriteVarUInt(1);
        writer.WriteString("a");
        writer.WriteVarUInt(1);
        var ex = Assert.Throws<CometException>(() =>
        {
            var reader = new PayloadReader(buffer.WrittenSpan);
            VectorClock.ReadFrom(ref reader);
        });
        Assert.Equal(CometErrorCode.MalformedFrame, ex.Code);
    }

    [Fact]
    public void Comparison_is_antisymmetric_and_merge_is_an_upper_bound_for_random_clocks()
    {
        var entry = Gen.Zip(Gen.Elements("a", "b", "c", "d"), Gen.Choose(0, 5).Select(i => (ulong)i));
        var clock = Gen.ListOf(entry).Select(list => list.Aggregate(VectorClock.Empty, (c, e) => c.With(e.Item1, e.Item2)));
        Prop.ForAll(Gen.Zip(clock, clock).ToArbitrary(), pair =>
        {
            var (x, y) = pair;
            var xy = x.CompareTo(y);
            var yx = y.CompareTo(x);
            var mirrored = xy switch
            {
                ClockOrder.Before => yx == ClockOrder.After,
                ClockOrder.After => yx == ClockOrder.Before,
                _ => yx == xy,
            };
            var merged = x.Merge(y);
            var bound = merged.CompareTo(x) is ClockOrder.After or ClockOrder.Equal
                && merged.CompareTo(y) is ClockOrder.After or ClockOrder.Equal;
            var buffer = new ArrayBufferWriter<byte>();
            var writer = new PayloadWriter(buffer);
            x.WriteTo(ref writer);
            var reader = new PayloadReader(buffer.WrittenSpan);
            var roundTrip = VectorClock.ReadFrom(ref reader).Equals(x);
            return mirrored && bound && roundTrip;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_dot_beyond_a_gap_stays_a_dot_and_covers_only_itself_until_the_gap_is_filled()
    {
        var context = Clock(("r0", 5)).WithDot(new Dot("r0", 7));
        Assert.True(context.Contains(new Dot("r0", 7)));
        Assert.False(context.Contains(new Dot("r0", 6)));
        Assert.Equal(7UL, context["r0"]);
        var roundTrip = VectorClock.FromToken(context.ToToken());
        Assert.Equal(context, roundTrip);
        Assert.False(roundTrip.Contains(new Dot("r0", 6)));

        var filled = context.Merge(Clock(("r0", 4)).WithDot(new Dot("r0", 6)));
        Assert.Empty(filled.Dots);
        Assert.Equal(7UL, filled["r0"]);
        Assert.True(filled.Contains(new Dot("r0", 6)));
        Assert.NotEqual(context, filled);
    }
}
