using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Comet.Abstractions.Keys;

/// <summary>
/// The ring position of a key: the first 8 bytes (big-endian) of SHA-256 over
/// UTF-8(namespace) ‖ 0x00 ‖ UTF-8(key). SHA-256 is in the BCL on every platform, so silos
/// and clients in any language compute the same position; the 0 byte keeps ("ab","c") and
/// ("a","bc") apart (namespaces never contain it).
/// </summary>
public static class KeyHash
{
    private const int StackLimit = 512;

    public static ulong Of(string ns, string key)
    {
        var length = Encoding.UTF8.GetByteCount(ns) + 1 + Encoding.UTF8.GetByteCount(key);
        byte[]? rented = null;
        var buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var n = Encoding.UTF8.GetBytes(ns, buffer);
            buffer[n++] = 0;
            n += Encoding.UTF8.GetBytes(key, buffer[n..]);
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(buffer[..n], digest);
            return BinaryPrimitives.ReadUInt64BigEndian(digest);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
