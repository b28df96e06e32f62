using System.Globalization;
using System.Text;

namespace Comet.History.Tests.Checking;

/// <summary>The checker's verdict in words: counts, failures by cause, and each violation with its key's whole history.</summary>
public static class HistoryReport
{
    /// <summary>How many violations are written out in full (each with its key's history).</summary>
    private const int Detailed = 10;

    public static string Summary(CheckResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var h = result.History;
        var writes = h.Writes;
        var reads = h.Reads;
        var text = new StringBuilder();
        Line(text, $"operations: {writes.Count + reads.Count} ({reads.Count} reads, {writes.Count} writes of which {writes.Count(w => w.Blind)} blind) on {result.Keys.Count} keys");
        Line(text, $"writes: {result.AcknowledgedWrites} acknowledged, {writes.Count(w => w.Outcome == Outcome.Failed)} refused, {result.IndeterminateWrites} indeterminate");
        Line(text, $"acknowledged writes at the end: {result.Present} present, {result.Superseded} superseded by a covering write, " +
            $"{result.ExcusedByBlindWrite} possibly replaced by a blind write, {result.Lost.Count} LOST");
        Line(text, $"writes failed by cause: {ByCause(writes.Where(w => w.Outcome != Outcome.Ok).Select(w => w.Cause))}");
        Line(text, $"reads failed by cause: {ByCause(reads.Where(r => r.Outcome != Outcome.Ok).Select(r => r.Cause))}");
        Line(text, $"reads with siblings: {reads.Count(r => r.Values.Count > 1)}; 404s: {reads.Count(r => r.Status == 404)}");
        Line(text, $"phantom values: {result.Phantoms.Count}; bad siblings: {result.BadSiblings.Count}; duplicate versions of one write: {result.Duplicates.Count}; " +
            $"keys whose final reads differ between silos: {result.Divergent.Count}");
        foreach (var problem in result.Problems.Take(Detailed)) Line(text, "PROBLEM: " + problem);
        foreach (var lost in result.Lost.Take(Detailed))
        {
            Line(text, $"LOST: {lost.Write.Key} = {lost.Write.Value} (write #{lost.Write.Id}, {lost.Write.Client} via {lost.Write.Via}, " +
                $"{HistoryChecker.Clock(lost.Write.Start)}-{HistoryChecker.Clock(lost.Write.End)}, answered {lost.Write.Status}): {lost.Why}");
            text.Append(KeyHistory(result, lost.Write.Key, around: lost.Write.Start));
        }
        foreach (var phantom in result.Phantoms.Take(Detailed))
        {
            Line(text, $"PHANTOM: {phantom.Key}: {phantom.Value} in {phantom.Where}: {phantom.Why}");
            text.Append(KeyHistory(result, phantom.Key));
        }
        foreach (var bad in result.BadSiblings.Take(Detailed))
        {
            Line(text, $"BAD SIBLINGS: {bad.Key}: {bad.Where} returned {bad.Covered} beside {bad.Covering}, which covers it: {bad.Why}");
            text.Append(KeyHistory(result, bad.Key));
        }
        foreach (var duplicate in result.Duplicates.Take(3)) Line(text, "duplicate: " + duplicate);
        foreach (var key in result.Divergent.Take(3)) Line(text, "divergent at the end: " + key);
        return text.ToString();
    }

    /// <summary>Every operation on <paramref name="key"/> in start order, then the final reads: what the checker saw.</summary>
    /// <remarks>
    /// With <paramref name="around"/>, only the operations that started within <see cref="Window"/> of that time (the
    /// full history of every key with a violation is in <see cref="ViolatedKeys"/>).
    /// </remarks>
    public static string KeyHistory(CheckResult result, string key, int limit = 200, TimeSpan? around = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var h = result.History;
        var ops = h.Reads.Where(r => r.Key == key).Select(r => (r.Start, r.Id, Text: Describe(r)))
            .Concat(h.Writes.Where(w => w.Key == key).Select(w => (w.Start, w.Id, Text: Describe(w))))
            .OrderBy(o => o.Start).ThenBy(o => o.Id).ToList();
        var all = ops.Count;
        if (around is { } t) ops = [.. ops.Where(o => (o.Start - t).Duration() <= Window)];
        var text = new StringBuilder();
        Line(text, around is null
            ? $"  history of {key} ({all} operations):"
            : $"  history of {key} within {Window.TotalSeconds:0.0} s of {HistoryChecker.Clock(around.Value)} ({ops.Count} of its {all} operations):");
        foreach (var op in ops.Take(limit)) Line(text, "    " + op.Text);
        if (ops.Count > limit) Line(text, $"    ... {ops.Count - limit} more");
        foreach (var f in h.Final.Where(f => f.Key == key))
            Line(text, $"    final read through {f.Silo} (r=n): {f.Status} [{string.Join(", ", f.Values)}]{(f.Answered ? "" : " " + f.Cause)}");
        return text.ToString();
    }

    /// <summary>How far around a lost write its key's history is shown in the summary.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    /// <summary>The whole history of every key with a violation (lost, phantom, bad siblings), for the run's directory.</summary>
    public static string ViolatedKeys(CheckResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var keys = result.Lost.Select(l => l.Write.Key).Concat(result.Phantoms.Select(p => p.Key)).Concat(result.BadSiblings.Select(b => b.Key))
            .Distinct(StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var key in keys) text.Append(KeyHistory(result, key, limit: int.MaxValue)).Append('\n');
        return text.ToString();
    }

    public static string Describe(ReadOp r) =>
        $"{HistoryChecker.Clock(r.Start)}-{HistoryChecker.Clock(r.End)} {r.Client} via {r.Via}: read #{r.Id} -> {r.Status} [{string.Join(", ", r.Values)}]" +
        (r.Outcome == Outcome.Ok ? $" context {Short(r.Context)}" : $" ({r.Outcome}: {r.Cause})");

    public static string Describe(WriteOp w) =>
        $"{HistoryChecker.Clock(w.Start)}-{HistoryChecker.Clock(w.End)} {w.Client} via {w.Via}: write #{w.Id} {w.Value} " +
        (w.Blind ? "BLIND (no context)" : $"with the context of read #{w.ReadId} ({Short(w.Context)})") +
        $" -> {w.Status} {w.Outcome}{(w.Outcome == Outcome.Ok ? "" : ": " + w.Cause)}";

    private static string Short(string? context) => context is null ? "none" : context.Length <= 24 ? $"'{context}'" : $"'{context[..24]}...'";

    public static string ByCause(IEnumerable<string> causes)
    {
        var groups = causes.GroupBy(c => c).OrderByDescending(g => g.Count()).Select(g => $"{g.Key}: {g.Count().ToString(CultureInfo.InvariantCulture)}").ToList();
        return groups.Count == 0 ? "none" : string.Join("; ", groups);
    }

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
