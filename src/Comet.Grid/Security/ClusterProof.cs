using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Comet.Abstractions.Wire;

namespace Comet.Grid.Security;

/// <summary>
/// Proof that a silo knows the cluster secret, carried in the auth blob of its Hello:
/// <code>u8 version (1) · u8 purpose (1 dial, 2 accept) · i64 unix ms · 16-byte nonce · HMAC-SHA256(secret, label · purpose · time · nonce · node id)</code>
/// The node id inside the MAC stops a proof being reused under another id; the purpose stops an acceptor's answer
/// being replayed as a dialler's Hello; the time bounds how long a proof is worth anything, and the nonce (remembered
/// until then) stops it being replayed within that time. Without TLS a man in the middle can still relay a live
/// handshake, so use TLS where the network is not trusted.
/// </summary>
public sealed class ClusterProof
{
    public const byte PurposeDial = 1;
    public const byte PurposeAccept = 2;

    private const byte Version = 1;
    private const int NonceBytes = 16;
    private const int MacBytes = 32;
    private const int Size = 2 + 8 + NonceBytes + MacBytes;
    private static readonly byte[] Label = "comet-cluster-v1"u8.ToArray();

    private readonly byte[] _key;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<UInt128, long> _seenNonces = new();
    private long _nextSweepMs;

    public ClusterProof(string secret, TimeSpan maxAge, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        _key = Encoding.UTF8.GetBytes(secret);
        _maxAge = maxAge;
        _time = time;
    }

    /// <summary>A fresh Hello of role Silo for <paramref name="nodeId"/>, proving the secret.</summary>
    public Hello CreateHello(string nodeId, byte purpose) => new(NodeRole.Silo, nodeId, Create(nodeId, purpose));

    /// <summary>A fresh proof for <paramref name="nodeId"/> (new nonce, current time).</summary>
    public byte[] Create(string nodeId, byte purpose)
    {
        var proof = new byte[Size];
        proof[0] = Version;
        proof[1] = purpose;
        BinaryPrimitives.WriteInt64LittleEndian(proof.AsSpan(2), _time.GetUtcNow().ToUnixTimeMilliseconds());
        RandomNumberGenerator.Fill(proof.AsSpan(10, NonceBytes));
        Mac(nodeId, proof.AsSpan(0, Size - MacBytes), proof.AsSpan(Size - MacBytes));
        return proof;
    }

    /// <summary>
    /// Whether <paramref name="hello"/> is a silo's Hello with a valid, fresh, never-seen proof for
    /// <paramref name="purpose"/>; <paramref name="why"/> says what is wrong otherwise.
    /// </summary>
    public bool Verify(Hello hello, byte purpose, out string why)
    {
        ArgumentNullException.ThrowIfNull(hello);
        var proof = hello.Auth.Span;
        if (hello.Role != NodeRole.Silo)
        {
            why = "only silos may connect here";
            return false;
        }
        if (proof.Length != Size || proof[0] != Version || proof[1] != purpose)
        {
            why = "its Hello carries no cluster proof (is the cluster secret configured on that silo?)";
            return false;
        }
        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(hello.NodeId, proof[..(Size - MacBytes)], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, proof[(Size - MacBytes)..]))
        {
            why = "its cluster proof does not match this cluster's secret";
            return false;
        }
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var at = BinaryPrimitives.ReadInt64LittleEndian(proof[2..]);
        var maxAgeMs = (long)_maxAge.TotalMilliseconds;
        if (at < now - maxAgeMs || at > now + maxAgeMs)
        {
            why = $"its cluster proof is {Math.Abs(now - at)} ms off this silo's clock (allowed {maxAgeMs} ms); check the clocks";
            return false;
        }
        var nonce = BinaryPrimitives.ReadUInt128LittleEndian(proof.Slice(10, NonceBytes));
        Sweep(now);
        if (!_seenNonces.TryAdd(nonce, at + maxAgeMs))
        {
            why = "its cluster proof was used before (a replayed handshake)";
            return false;
        }
        why = "";
        return true;
    }

    private void Mac(string nodeId, ReadOnlySpan<byte> header, Span<byte> destination)
    {
        var idBytes = Encoding.UTF8.GetByteCount(nodeId);
        var message = new byte[Label.Length + header.Length + idBytes];
        Label.CopyTo(message, 0);
        header.CopyTo(message.AsSpan(Label.Length));
        Encoding.UTF8.GetBytes(nodeId, message.AsSpan(Label.Length + header.Length));
        HMACSHA256.HashData(_key, message, destination);
    }

    /// <summary>Forgets nonces whose proofs have expired anyway (at most once a second).</summary>
    private void Sweep(long nowMs)
    {
        var next = Volatile.Read(ref _nextSweepMs);
        if (nowMs < next || Interlocked.CompareExchange(ref _nextSweepMs, nowMs + 1000, next) != next) return;
        foreach (var (nonce, expiresMs) in _seenNonces)
        {
            if (expiresMs < nowMs) _seenNonces.TryRemove(nonce, out _);
        }
    }
}
