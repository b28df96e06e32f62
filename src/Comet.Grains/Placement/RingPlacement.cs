using Orleans.Placement;
using Orleans.Runtime;

namespace Comet.Grains;

/// <summary>Places replica <c>r</c> of a key on position <c>r</c> of the key's walk around the ring.</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class RingPlacement : PlacementStrategy
{
    public static RingPlacement Singleton { get; } = new();
}

/// <summary>Marks a grain class whose string key is a <see cref="ReplicaGrainKey"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RingPlacementAttribute : PlacementAttribute
{
    public RingPlacementAttribute()
        : base(RingPlacement.Singleton)
    {
    }
}
