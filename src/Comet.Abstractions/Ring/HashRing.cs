using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Comet.Abstractions.Ring;

/// <summary>
/// Dynamo's partitioning strategy 3: the hash space is cut into Q equal partitions, each owned
/// by one live silo; a key's preference list is the first N distinct owners met walking the
/// ring clockwise from the key's partition, and its neighbours are that list plus S spares.
/// Owners are chosen per partition by rendezvous hashing (highest score of
/// SHA-256(partition, silo) wins), which spreads partitions evenly, needs no coordination (every
/// silo and client with the same member list computes the same ring) and moves only the
/// partitions a joining or leaving silo wins or loses.
/// </summary>
public sealed class HashRing
{
    private readonly int[] _owners;      // partition → index into _silos
    private readonly string[] _silos;    // sorted ordinal

    public HashRing(IEnumerable<string> silos, int partitions)
    {
        ArgumentNullException.ThrowIfNull(silos);
        if (partitions < 1 || (partitions & (partitions - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(partitions), "Q must be a positive power of two.");
        _silos = silos.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        Partitions = partitions;
        PartitionBits = BitOperationsLog2(partitions);
        _owners = new int[partitions];
        if (_silos.Length == 0) return;
        var seeds = new ulong[_silos.Length];
        for (var s = 0; s < _silos.Length; s++) seeds[s] = Score(Encoding.UTF8.GetBytes(_silos[s]), 0);
        for (var p = 0; p < partitions; p++)
        {
            ulong best = 0;
            var owner = 0;
            for (var s = 0; s < _silos.Length; s++)
            {
                var score = Mix(seeds[s] ^ ((ulong)p * 0x9E3779B97F4A7C15UL));
                if (s == 0 || score > best)
                {
                    best = score;
                    owner = s;
                }
            }
            _owners[p] = owner;
        }
    }

    public int Partitions { get; }

    public int PartitionBits { get; }

    public IReadOnlyList<string> Silos => _silos;

    public bool IsEmpty => _silos.Length == 0;

    /// <summary>The partition of a key hash: its top log2(Q) bits.</summary>
    public int PartitionOf(ulong keyHash) => PartitionBits == 0 ? 0 : (int)(keyHash >> (64 - PartitionBits));

    public string OwnerOf(int partition) => _silos[_owners[partition]];

    /// <summary>
    /// The first <paramref name="count"/> distinct silos walking clockwise from the key's partition:
    /// with count = N that is the preference list, with N + S the neighbours.
    /// </summary>
    public string[] PreferenceList(ulong keyHash, int count) => Walk(PartitionOf(keyHash), count);

    public string[] Walk(int partition, int count)
    {
        count = Math.Min(count, _silos.Length);
        var result = new string[count];
        if (count == 0) return result;
        Span<bool> taken = _silos.Length <= 256 ? stackalloc bool[_silos.Length] : new bool[_silos.Length];
        var found = 0;
        for (var step = 0; step < Partitions && found < count; step++)
        {
            var owner = _owners[(partition + step) & (Partitions - 1)];
            if (taken[owner]) continue;
            taken[owner] = true;
            result[found++] = _silos[owner];
        }
        // A silo that owns no partition at all (possible with very few partitions) is still a
        // member: append the rest in order so the list always has min(count, silos) entries.
        for (var s = 0; s < _silos.Length && found < count; s++)
        {
            if (taken[s]) continue;
            taken[s] = true;
            result[found++] = _silos[s];
        }
        return result;
    }

    /// <summary>How many partitions each silo owns (for the admin view and balance tests).</summary>
    public IReadOnlyDictionary<string, int> OwnershipCounts()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var silo in _silos) counts[silo] = 0;
        foreach (var owner in _owners) counts[_silos[owner]]++;
        return counts;
    }

    private static ulong Score(ReadOnlySpan<byte> bytes, int salt)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(bytes, digest);
        return BinaryPrimitives.ReadUInt64BigEndian(digest) ^ (ulong)salt;
    }

    // SplitMix64 finaliser: a cheap, well-mixed function of (silo seed, partition).
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static int BitOperationsLog2(int value) => System.Numerics.BitOperations.Log2((uint)value);
}
