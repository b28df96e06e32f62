using Comet.Abstractions.Keys;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Comet.Grains;

/// <summary>
/// Puts replica <c>r</c> of a key on the silo the ring names for it. When that silo is not
/// among the live, compatible silos (it crashed and is not yet declared dead, or it is
/// shutting down), the grain goes to the next silo of the walk that is: Dynamo's sloppy
/// quorum, where the grain itself is the hint. When the ring changes back, the grain asks to
/// migrate (<see cref="ReplicaGrain"/>), and Orleans asks this director where to.
/// </summary>
public sealed class RingPlacementDirector(RingView ring) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var compatible = context.GetCompatibleSilos(target);
        if (compatible.Length == 0) throw new OrleansException($"No silo can host {target.GrainIdentity}.");
        var (ns, key, replica) = ReplicaGrainKey.Parse(target.GrainIdentity.Key.ToString()!);
        var snapshot = ring.Current;
        var hash = KeyHash.Of(ns, key);
        var walk = snapshot.Ring.PreferenceList(hash, snapshot.Ring.Silos.Count);
        for (var step = 0; step < walk.Length; step++)
        {
            var name = walk[(replica + step) % walk.Length];
            if (snapshot.Addresses.TryGetValue(name, out var address) && Array.IndexOf(compatible, address) >= 0)
                return Task.FromResult(address);
        }
        // The ring and the compatible set disagree (a view in flux): any compatible silo will do.
        return Task.FromResult(compatible[(int)(hash % (ulong)compatible.Length)]);
    }
}
