using Comet.Abstractions.Versions;

namespace Comet.Abstractions.Tests.Versions;

public class ObjectVersionTests
{
    [Fact]
    public void Two_writes_from_the_same_stale_context_at_one_coordinator_are_siblings()
    {
        var first = ObjectVersion.Next(VectorClock.Empty, "s1", 1);
        // Both writers read `first`, and both writes are coordinated by s1.
        var a = ObjectVersion.Next(first.CausalClock, "s1", 2);
        var b = ObjectVersion.Next(first.CausalClock, "s1", 3);
        Assert.True(a.Supersedes(first));
        Assert.True(b.Supersedes(first));
        Assert.False(b.Supersedes(a));
        Assert.False(a.Supersedes(b));
    }

    [Fact]
    public void A_write_that_read_both_siblings_supersedes_both()
    {
        var root = ObjectVersion.Next(VectorClock.Empty, "s1", 1);
        var a = ObjectVersion.Next(root.CausalClock, "s1", 2);
        var b = ObjectVersion.Next(root.CausalClock, "s2", 1);
        var resolved = ObjectVersion.Next(a.CausalClock.Merge(b.CausalClock), "s1", 3);
        Assert.True(resolved.Supersedes(a));
        Assert.True(resolved.Supersedes(b));
        Assert.False(a.Supersedes(resolved));
        Assert.False(resolved.Supersedes(resolved));
    }

    [Fact]
    public void Version_id_is_node_and_counter_and_parses_back()
    {
        var v = ObjectVersion.Next(VectorClock.Empty, "silo-1", 42);
        Assert.Equal("silo-1:42", v.Id);
        Assert.Equal(v.Dot, Dot.Parse("silo-1:42"));
        Assert.Throws<Comet.Abstractions.Errors.CometException>(() => Dot.Parse("nocolon"));
        Assert.Throws<Comet.Abstractions.Errors.CometException>(() => Dot.Parse("s:0"));
    }
}
