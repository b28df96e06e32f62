using Comet.Abstractions.Keys;
using Comet.Abstractions.Ring;

namespace Comet.Abstractions.Tests.Ring;

public class HashRingTests
{
    private static readonly string[] Three = ["silo-1", "silo-2", "silo-3"];

    [Fact]
    public void Partitions_spread_evenly_over_live_silos()
    {
        var ring = new HashRing(["a", "b", "c", "d", "e"], 1024);
        foreach (var (_, count) in ring.OwnershipCounts())
            Assert.InRange(count, 1024 / 5 * 0.75, 1024 / 5 * 1.25);
    }

    [Fact]
    public void A_joining_silo_takes_partitions_only_for_itself_and_about_its_share()
    {
        var before = new HashRing(Three, 1024);
        var after = new HashRing([.. Three, "silo-4"], 1024);
        var moved = 0;
        for (var p = 0; p < 1024; p++)
        {
            if (before.OwnerOf(p) == after.OwnerOf(p)) continue;
            moved++;
            Assert.Equal("silo-4", after.OwnerOf(p));
        }
        Assert.InRange(moved, 1024 / 4 * 0.75, 1024 / 4 * 1.25);
    }

    [Fact]
    public void A_leaving_silo_hands_only_its_own_partitions_over()
    {
        var before = new HashRing([.. Three, "silo-4"], 1024);
        var after = new HashRing(Three, 1024);
        for (var p = 0; p < 1024; p++)
            if (before.OwnerOf(p) != "silo-4") Assert.Equal(before.OwnerOf(p), after.OwnerOf(p));
    }

    [Fact]
    public void Preference_lists_hold_n_distinct_silos_and_are_the_same_for_any_member_order()
    {
        var ring = new HashRing(Three, 1024);
        var shuffled = new HashRing(["silo-3", "silo-1", "silo-2"], 1024);
        for (var i = 0; i < 500; i++)
        {
            var hash = ObjectKey.Create("default", "key-" + i).Hash;
            var list = ring.PreferenceList(hash, 3);
            Assert.Equal(3, list.Distinct().Count());
            Assert.Equal(list, shuffled.PreferenceList(hash, 3));
            Assert.Equal(ring.OwnerOf(ring.PartitionOf(hash)), list[0]);
        }
    }

    [Fact]
    public void Asking_for_more_silos_than_exist_returns_every_silo_once()
    {
        var ring = new HashRing(Three, 16);
        Assert.Equal(3, ring.PreferenceList(12345, 5).Length);
        Assert.Empty(new HashRing([], 16).PreferenceList(1, 3));
    }

    [Fact]
    public void Partition_is_the_top_bits_of_the_hash()
    {
        var ring = new HashRing(Three, 1024);
        Assert.Equal(0, ring.PartitionOf(0));
        Assert.Equal(1023, ring.PartitionOf(ulong.MaxValue));
        Assert.Equal(512, ring.PartitionOf(1UL << 63));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HashRing(Three, 1000));
    }
}
