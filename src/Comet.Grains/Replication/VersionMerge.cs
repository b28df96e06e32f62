using Comet.Abstractions.Errors;
using Comet.Abstractions.Keys;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Versions;

namespace Comet.Grains;

/// <summary>How a coordinator combines replicas' answers: the versions no other answered version supersedes.</summary>
internal static class VersionMerge
{
    /// <summary>Keeps every version no other answered version supersedes; tombstones hide the key.</summary>
    public static GetResult Merge(ObjectKey key, List<ReplicaReadResult> answers)
    {
        var all = new List<ReplicaItem>();
        foreach (var answer in answers)
        {
            foreach (var item in answer.Items)
            {
                var seen = false;
                foreach (var known in all)
                {
                    if (known.Version.Dot == item.Version.Dot)
                    {
                        seen = true;
                        break;
                    }
                }
                if (!seen) all.Add(item);
            }
        }
        var context = VectorClock.Empty;
        var items = new List<GetItem>(1);
        foreach (var item in all)
        {
            context = context.Merge(item.Version.CausalClock);
            var superseded = false;
            foreach (var other in all)
            {
                if (other.Version.Supersedes(item.Version))
                {
                    superseded = true;
                    break;
                }
            }
            if (!superseded && item.Kind != ObjectKind.Tombstone)
                items.Add(new GetItem(item.Version.Id, item.Kind, item.Data, item.ExpiresAtMs));
        }
        if (items.Count == 0)
            throw new CometException(CometErrorCode.NotFound, $"No object under '{key.Key}' in namespace '{key.Namespace}' (never stored, deleted or expired).")
            {
                Context = context.ToToken(),
            };
        return new GetResult(items, context.ToToken());
    }

    /// <summary>
    /// For each replica that answered, the current versions (superseded by nothing answered) it
    /// lacks, each with a replica that has it: what read repair copies.
    /// </summary>
    public static List<(int Stale, List<KeyValuePair<Dot, int>> Missing)> MissingVersions(List<(int Replica, ReplicaReadResult Answer)> answers)
    {
        var current = new Dictionary<Dot, int>();
        foreach (var (replica, answer) in answers)
        {
            foreach (var item in answer.Items)
            {
                var superseded = false;
                foreach (var (_, other) in answers)
                    foreach (var o in other.Items)
                        if (o.Version.Supersedes(item.Version)) superseded = true;
                if (!superseded) current.TryAdd(item.Version.Dot, replica);
            }
        }
        var result = new List<(int, List<KeyValuePair<Dot, int>>)>();
        foreach (var (replica, answer) in answers)
        {
            var missing = current.Where(c => !answer.Items.Any(i => i.Version.Dot == c.Key)).ToList();
            if (missing.Count > 0) result.Add((replica, missing));
        }
        return result;
    }
}
