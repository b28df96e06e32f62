using Comet.History.Tests.Checking;

namespace Comet.History.Tests.CheckerTests;

/// <summary>The checker judged on histories made by hand, so that its verdict on the grid can be trusted.</summary>
public sealed class HistoryCheckerTests
{
    [Fact]
    public void A_read_modify_write_chain_whose_last_value_is_at_the_end_is_valid_and_counts_the_earlier_writes_as_superseded()
    {
        var h = new HandMadeHistory();
        var miss = h.Read(0, 5);
        h.Write("a", miss, 10, 20);
        var sawA = h.Read(30, 35, "a");
        h.Write("b", sawA, 40, 50);
        var sawB = h.Read(60, 65, "b");
        h.Write("c", sawB, 70, 80);
        h.Final("c");

        var result = h.Check();

        Assert.True(result.Valid, HistoryReport.Summary(result));
        Assert.Equal((3, 1, 2), (result.AcknowledgedWrites, result.Present, result.Superseded));
    }

    [Fact]
    public void An_acknowledged_first_write_that_no_read_returned_and_the_end_does_not_hold_is_lost()
    {
        // Issue 14's loss: two concurrent creates, both acknowledged, and only one survives.
        var h = new HandMadeHistory();
        var miss1 = h.Read(0, 5);
        var miss2 = h.Read(1, 6);
        h.Write("a", miss1, 10, 20);
        h.Write("b", miss2, 11, 21);
        h.Final("b");

        var result = h.Check();

        Assert.False(result.Valid);
        var lost = Assert.Single(result.Lost);
        Assert.Equal("a", lost.Write.Value);
        Assert.Contains("LOST: k = a", HistoryReport.Summary(result), StringComparison.Ordinal);
        Assert.Contains("write #", HistoryReport.KeyHistory(result, "k"), StringComparison.Ordinal);
    }

    [Fact]
    public void Two_concurrent_creates_kept_as_siblings_are_valid()
    {
        var h = new HandMadeHistory();
        var miss1 = h.Read(0, 5);
        var miss2 = h.Read(1, 6);
        h.Write("a", miss1, 10, 20);
        h.Write("b", miss2, 11, 21);
        h.Read(30, 35, "a", "b");
        h.Final("a", "b");

        var result = h.Check();

        Assert.True(result.Valid, HistoryReport.Summary(result));
        Assert.Equal(2, result.Present);
    }

    [Fact]
    public void A_write_superseded_through_an_indeterminate_write_that_reached_the_end_is_not_lost()
    {
        var h = new HandMadeHistory();
        h.Write("a", h.Read(0, 5), 10, 20);
        // b timed out (no verdict) but was applied: a later read returned it, and c covers it.
        h.Write("b", h.Read(30, 35, "a"), 40, 50, Outcome.Indeterminate);
        h.Write("c", h.Read(60, 65, "b"), 70, 80);
        h.Final("c");

        var result = h.Check();

        Assert.True(result.Valid, HistoryReport.Summary(result));
        Assert.Equal((2, 1, 1), (result.AcknowledgedWrites, result.Present, result.Superseded));
    }

    [Fact]
    public void A_write_covered_only_by_an_indeterminate_write_that_never_reached_the_end_is_lost()
    {
        // b covers a, but b answered 503 and nothing of it is at the end: a 5xx that did nothing cannot excuse a's absence.
        var h = new HandMadeHistory();
        h.Write("a", h.Read(0, 5), 10, 20);
        h.Write("b", h.Read(30, 35, "a"), 40, 50, Outcome.Indeterminate);
        h.Final();

        var result = h.Check();

        var lost = Assert.Single(result.Lost);
        Assert.Equal("a", lost.Write.Value);
        Assert.Contains("b (Indeterminate)", lost.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void An_acknowledged_write_missing_at_the_end_while_a_later_write_that_covers_it_is_present_is_not_lost_even_if_that_write_was_a_timeout()
    {
        var h = new HandMadeHistory();
        h.Write("a", h.Read(0, 5), 10, 20);
        h.Write("b", h.Read(30, 35, "a"), 40, 5000, Outcome.Indeterminate);
        h.Final("b");

        var result = h.Check();

        Assert.True(result.Valid, HistoryReport.Summary(result));
        Assert.Equal(1, result.Superseded);
    }

    [Fact]
    public void A_value_nobody_wrote_is_a_phantom()
    {
        var h = new HandMadeHistory();
        h.Write("a", h.Read(0, 5), 10, 20);
        h.Read(30, 35, "a", "zz");
        h.Final("a");

        var result = h.Check();

        var phantom = Assert.Single(result.Phantoms);
        Assert.Equal("zz", phantom.Value);
        Assert.False(result.Valid);
    }

    [Fact]
    public void The_value_of_a_refused_write_or_of_another_key_or_of_a_write_not_yet_sent_is_a_phantom()
    {
        var h = new HandMadeHistory();
        h.Write("a", h.Read(0, 5), 10, 20);
        h.Write("refused", h.Read(21, 25, "a"), 30, 40, Outcome.Failed);
        h.WriteOf("other", "o", null, 10, 20);
        h.FinalOf("other", "o");
        h.Read(50, 55, "refused");
        h.Read(56, 57, "o");
        h.Read(60, 61, "late");
        h.Write("late", null, 100, 110);
        h.Final("late");

        var result = h.Check();

        Assert.Equal(["refused", "o", "late"], result.Phantoms.Select(p => p.Value));
    }

    [Fact]
    public void Siblings_of_which_one_covers_the_other_are_bad_siblings()
    {
        var h = new HandMadeHistory();
        h.Write("a", h.Read(0, 5), 10, 20);
        h.Write("b", h.Read(30, 35, "a"), 40, 50);
        h.Read(60, 65, "a", "b");
        h.Final("b");

        var result = h.Check();

        var bad = Assert.Single(result.BadSiblings);
        Assert.Equal(("a", "b"), (bad.Covered, bad.Covering));
        Assert.Contains("returned a", bad.Why, StringComparison.Ordinal);
        Assert.False(result.Valid);
    }

    [Fact]
    public void Siblings_ordered_through_a_chain_of_reads_are_bad_siblings_too()
    {
        var h = new HandMadeHistory();
        h.Write("a", h.Read(0, 5), 10, 20);
        h.Write("b", h.Read(30, 35, "a"), 40, 50);
        h.Write("c", h.Read(60, 65, "b"), 70, 80);
        h.Final("a", "c");

        var result = h.Check();

        Assert.Equal(3, result.BadSiblings.Count);
        Assert.All(result.BadSiblings, b => Assert.Equal(("a", "c"), (b.Covered, b.Covering)));
    }

    [Fact]
    public void A_write_that_a_blind_write_may_have_replaced_is_not_lost_but_one_that_began_after_it_ended_is()
    {
        var h = new HandMadeHistory();
        h.Write("a", h.Read(0, 5), 10, 20);
        h.Write("blind", null, 15, 30);
        h.Write("b", h.Read(35, 40), 45, 50);
        h.Final("blind");

        var result = h.Check();

        Assert.Equal(1, result.ExcusedByBlindWrite);
        Assert.Equal("b", Assert.Single(result.Lost).Write.Value);
    }

    [Fact]
    public void A_value_returned_twice_is_reported_as_a_duplicate_without_failing_the_history()
    {
        var h = new HandMadeHistory();
        h.Write("a", h.Read(0, 5), 10, 20);
        h.Read(30, 35, "a", "a");
        h.Final("a");

        var result = h.Check();

        Assert.True(result.Valid, HistoryReport.Summary(result));
        Assert.Single(result.Duplicates);
    }

    [Fact]
    public void Silos_that_end_with_different_values_make_the_key_divergent()
    {
        var h = new HandMadeHistory();
        h.Write("a", h.Read(0, 5), 10, 20);
        h.History.Add(new FinalRead(HandMadeHistory.Key, "silo-1", 200, ["a"], ""));
        h.History.Add(new FinalRead(HandMadeHistory.Key, "silo-2", 404, [], ""));

        var result = h.Check();

        Assert.Equal(["k"], result.Divergent);
        Assert.Empty(result.Lost);
    }
}
