namespace Comet.Abstractions.Wire;

/// <summary>The fixed part of a decoded frame; the payload follows it on the wire.</summary>
/// <param name="Kind">What the frame is for.</param>
/// <param name="Opcode">The operation, opaque to the transport (the grid and the client define opcodes).</param>
/// <param name="RequestId">Matches a response to its request; 0 on <see cref="FrameKind.OneWay"/> and <see cref="FrameKind.Hello"/>.</param>
/// <param name="PayloadLength">Number of payload bytes after the header.</param>
public readonly record struct FrameHeader(FrameKind Kind, ushort Opcode, ulong RequestId, int PayloadLength);

/// <summary>The outcome of <see cref="FrameCodec.TryReadFrame"/>.</summary>
public enum FrameReadStatus
{
    /// <summary>A whole frame was decoded and removed from the front of the buffer.</summary>
    Complete,
    /// <summary>The buffer holds only part of a frame (possibly nothing); read more bytes.</summary>
    Incomplete,
    /// <summary>The bytes cannot be a valid frame; the connection must be closed.</summary>
    Malformed,
}
