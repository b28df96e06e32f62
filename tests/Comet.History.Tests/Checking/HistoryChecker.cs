using System.Collections;

namespace Comet.History.Tests.Checking;

/// <summary>
/// Judges a <see cref="RecordedHistory"/> (Jepsen/Elle-style, from what clients saw alone, never the grid's internals).
/// <para>
/// Causality is what clients observed: a write whose context came from a read <i>covers</i> every value that read
/// returned, and everything those values' own writes covered (transitively). Values are unique, so a value names its write.
/// </para>
/// <list type="number">
/// <item><b>Lost</b>: an acknowledged write that the end state neither holds nor covers. The end state is what the
/// final reads (every silo, R = N) returned; a write is covered when a value present at the end covers it. Requiring the
/// cover to reach the end (not just any later write) is stricter than "some write superseded it": a superseding write
/// that was itself never applied (a 5xx that did nothing) or lost does not excuse it. A blind write (no context)
/// replaces whatever its coordinating replica held, so a blind write present at the end (or covered) excuses every
/// write that began before it ended: those are counted apart, never as lost nor as safe.</item>
/// <item><b>Phantom</b>: a read returned a value nobody wrote to that key, the value of a write the grid refused, or a
/// value whose write began only after the read had ended.</item>
/// <item><b>Bad siblings</b>: a read returned two values one of which covers the other: the grid kept as concurrent two
/// writes it had been told were ordered. (The same value returned twice is counted apart as a duplicate.)</item>
/// </list>
/// </summary>
public static class HistoryChecker
{
    public static CheckResult Check(RecordedHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var reads = history.Reads;
        var writes = history.Writes;
        var final = history.Final;
        var readsById = reads.ToDictionary(r => r.Id);
        var result = new CheckResult(history);

        foreach (var keyWrites in writes.GroupBy(w => w.Key, StringComparer.Ordinal))
        {
            var key = keyWrites.Key;
            // Start order is a topological order of "covers": a covered value was read by a read that ended before the
            // covering write started, and (unless it is a phantom) its write started before that read ended.
            var ordered = keyWrites.OrderBy(w => w.Start).ThenBy(w => w.Id).ToList();
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < ordered.Count; i++)
                if (!index.TryAdd(ordered[i].Value, i)) result.Problems.Add($"{key}: value {ordered[i].Value} was written twice (the workload must write unique values)");
            var past = new BitArray[ordered.Count];
            var direct = new List<int>[ordered.Count];
            for (var i = 0; i < ordered.Count; i++)
            {
                past[i] = new BitArray(ordered.Count);
                direct[i] = [];
                var w = ordered[i];
                if (w.Blind || w.ReadId is not { } readId || !readsById.TryGetValue(readId, out var read)) continue;
                foreach (var value in read.Values)
                {
                    if (!index.TryGetValue(value, out var j) || j >= i) continue;
                    direct[i].Add(j);
                    past[i].Set(j, true);
                    past[i].Or(past[j]);
                }
            }
            result.Keys[key] = new KeyCausality(ordered, index, past, direct);
        }

        CheckPhantoms(reads, final, result);
        CheckSiblings(reads, final, result);
        CheckLost(final, result);
        return result;
    }

    private static void CheckPhantoms(IReadOnlyList<ReadOp> reads, IReadOnlyList<FinalRead> final, CheckResult result)
    {
        foreach (var read in reads)
            foreach (var value in read.Values.Distinct(StringComparer.Ordinal))
                Phantom(result, read.Key, value, read.End, $"read #{read.Id} ({read.Client} via {read.Via} at {Clock(read.Start)}-{Clock(read.End)})");
        foreach (var read in final)
            foreach (var value in read.Values.Distinct(StringComparer.Ordinal))
                Phantom(result, read.Key, value, TimeSpan.MaxValue, $"final read through {read.Silo}");
    }

    private static void Phantom(CheckResult result, string key, string value, TimeSpan readEnd, string where)
    {
        if (!result.Keys.TryGetValue(key, out var causality) || !causality.Index.TryGetValue(value, out var i))
        {
            result.Phantoms.Add(new Phantom(key, value, "nobody wrote it to this key", where));
            return;
        }
        var write = causality.Writes[i];
        if (write.Outcome == Outcome.Failed)
            result.Phantoms.Add(new Phantom(key, value, $"its write #{write.Id} was refused ({write.Cause})", where));
        else if (write.Start > readEnd)
            result.Phantoms.Add(new Phantom(key, value, $"its write #{write.Id} started at {Clock(write.Start)}, after the read ended", where));
    }

    private static void CheckSiblings(IReadOnlyList<ReadOp> reads, IReadOnlyList<FinalRead> final, CheckResult result)
    {
        foreach (var read in reads) Siblings(result, read.Key, read.Values, $"read #{read.Id} ({read.Client} via {read.Via} at {Clock(read.Start)}-{Clock(read.End)})");
        foreach (var read in final) Siblings(result, read.Key, read.Values, $"final read through {read.Silo}");
    }

    private static void Siblings(CheckResult result, string key, IReadOnlyList<string> values, string where)
    {
        if (values.Count < 2) return;
        if (values.Distinct(StringComparer.Ordinal).Count() < values.Count)
            result.Duplicates.Add($"{key}: {where} returned a value twice: [{string.Join(", ", values)}]");
        if (!result.Keys.TryGetValue(key, out var causality)) return;
        foreach (var a in values.Distinct(StringComparer.Ordinal))
            foreach (var b in values.Distinct(StringComparer.Ordinal))
            {
                if (a == b || !causality.Index.TryGetValue(a, out var i) || !causality.Index.TryGetValue(b, out var j)) continue;
                if (causality.Past[j][i])
                    result.BadSiblings.Add(new BadSibling(key, a, b, where, causality.Explain(j, i)));
            }
    }

    private static void CheckLost(IReadOnlyList<FinalRead> final, CheckResult result)
    {
        var finalByKey = final.GroupBy(f => f.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var (key, causality) in result.Keys)
        {
            var n = causality.Writes.Count;
            var present = new BitArray(n);
            var reads = finalByKey.GetValueOrDefault(key) ?? [];
            if (reads.Count == 0 || reads.All(r => !r.Answered)) result.Problems.Add($"{key}: no final read answered, so nothing about it can be judged");
            if (reads.Where(r => r.Answered).Select(r => string.Join("\n", r.Values.Order(StringComparer.Ordinal))).Distinct().Count() > 1)
                result.Divergent.Add(key);
            foreach (var read in reads)
                foreach (var value in read.Values)
                    if (causality.Index.TryGetValue(value, out var i)) present.Set(i, true);
            var covered = new BitArray(present);
            for (var i = 0; i < n; i++)
                if (present[i]) covered.Or(causality.Past[i]);
            // Blind writes that reached the end excuse whatever began before they ended; iterate, since an excused
            // blind write excuses in turn.
            var excused = new BitArray(n);
            var horizon = TimeSpan.MinValue;
            for (var changed = true; changed;)
            {
                changed = false;
                for (var i = 0; i < n; i++)
                    if ((covered[i] || excused[i]) && causality.Writes[i].Blind && causality.Writes[i].End > horizon)
                    {
                        horizon = causality.Writes[i].End;
                        changed = true;
                    }
                for (var i = 0; i < n; i++)
                    if (!covered[i] && !excused[i] && causality.Writes[i].Start < horizon)
                    {
                        excused[i] = true;
                        changed = true;
                    }
            }
            for (var i = 0; i < n; i++)
            {
                var w = causality.Writes[i];
                if (w.Outcome != Outcome.Ok)
                {
                    if (w.Outcome == Outcome.Indeterminate) result.IndeterminateWrites++;
                    continue;
                }
                result.AcknowledgedWrites++;
                if (present[i]) result.Present++;
                else if (covered[i]) result.Superseded++;
                else if (excused[i]) result.ExcusedByBlindWrite++;
                else result.Lost.Add(new LostWrite(w, causality.Explain(i)));
            }
        }
    }

    internal static string Clock(TimeSpan t) => $"{t.TotalSeconds:0.000}s";
}

/// <summary>
/// One key's writes in start order, their values' positions, what each write covers (its causal past as clients saw it)
/// and the writes whose values its context's read returned (<see cref="Direct"/>).
/// </summary>
public sealed class KeyCausality(IReadOnlyList<WriteOp> writes, IReadOnlyDictionary<string, int> index, BitArray[] past, List<int>[] direct)
{
    public IReadOnlyList<WriteOp> Writes { get; } = writes;

    public IReadOnlyDictionary<string, int> Index { get; } = index;

    public IReadOnlyList<BitArray> Past { get; } = past;

    public IReadOnlyList<IReadOnlyList<int>> Direct { get; } = direct;

    /// <summary>Why write <paramref name="j"/> covers write <paramref name="i"/>: the chain of reads its context came through.</summary>
    public string Explain(int j, int i)
    {
        var steps = new List<string>();
        var at = j;
        while (at != i && steps.Count < 50)
        {
            var next = Direct[at].FirstOrDefault(k => k == i || Past[k][i], -1);
            if (next < 0) break;
            steps.Add($"{Writes[at].Value} (write #{Writes[at].Id}) sent the context of read #{Writes[at].ReadId}, which returned {Writes[next].Value}");
            at = next;
        }
        return string.Join("; ", steps);
    }

    /// <summary>What became of write <paramref name="i"/> that the end state does not hold.</summary>
    public string Explain(int i)
    {
        var coverers = Enumerable.Range(0, Writes.Count).Where(j => Past[j][i]).Select(j => $"{Writes[j].Value} ({Writes[j].Outcome})").ToList();
        return coverers.Count == 0
            ? "no read returned it, so no write covers it, and no final read holds it"
            : $"no final read holds it; only writes that did not reach the end cover it: {string.Join(", ", coverers.Take(8))}";
    }
}

public sealed record LostWrite(WriteOp Write, string Why);

public sealed record Phantom(string Key, string Value, string Why, string Where);

public sealed record BadSibling(string Key, string Covered, string Covering, string Where, string Why);

/// <summary>The checker's verdict and its counts.</summary>
public sealed class CheckResult(RecordedHistory history)
{
    public RecordedHistory History { get; } = history;

    public Dictionary<string, KeyCausality> Keys { get; } = new(StringComparer.Ordinal);

    public List<LostWrite> Lost { get; } = [];

    public List<Phantom> Phantoms { get; } = [];

    public List<BadSibling> BadSiblings { get; } = [];

    /// <summary>Reads that returned the same value twice (two versions of one write): reported, not a violation.</summary>
    public List<string> Duplicates { get; } = [];

    /// <summary>Keys whose final reads differed between silos (not converged).</summary>
    public List<string> Divergent { get; } = [];

    /// <summary>Things that make the history unjudgeable in part (duplicate values, keys no final read answered).</summary>
    public List<string> Problems { get; } = [];

    public int AcknowledgedWrites { get; internal set; }

    public int IndeterminateWrites { get; internal set; }

    /// <summary>Acknowledged writes present at the end.</summary>
    public int Present { get; internal set; }

    /// <summary>Acknowledged writes covered by a value present at the end.</summary>
    public int Superseded { get; internal set; }

    /// <summary>Acknowledged writes neither present nor covered, that a blind write which reached the end may have replaced.</summary>
    public int ExcusedByBlindWrite { get; internal set; }

    public bool Valid => Lost.Count == 0 && Phantoms.Count == 0 && BadSiblings.Count == 0 && Problems.Count == 0;
}
