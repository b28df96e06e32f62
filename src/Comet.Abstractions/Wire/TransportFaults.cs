using System.Collections.Concurrent;
using System.Net;

namespace Comet.Abstractions.Wire;

/// <summary>
/// Fault injection on real sockets, for tests of partitions: while a node id or endpoint is blocked, new
/// connections to or from it fail and the live connections touching it are closed (their pending requests fail with
/// Unavailable, as in a real partition). Give the same instance to every listener and connector of a test cluster
/// (<see cref="FrameConnectionOptions.Faults"/>); blocking a silo's node id then cuts it off from everyone.
/// Thread-safe.
/// </summary>
public sealed class TransportFaults
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _blockedNodes = new(StringComparer.Ordinal);
    private readonly HashSet<EndPoint> _blockedEndPoints = [];
    private readonly ConcurrentDictionary<FrameConnection, byte> _live = new();

    /// <summary>Cuts off every connection whose local or remote node id is <paramref name="nodeId"/>, until unblocked.</summary>
    public void BlockNode(string nodeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        lock (_lock)
        {
            _blockedNodes.Add(nodeId);
        }

        CloseBlocked();
    }

    /// <summary>Lets connections of <paramref name="nodeId"/> be made again (closed ones are not reopened: callers reconnect on demand).</summary>
    public void UnblockNode(string nodeId)
    {
        lock (_lock)
        {
            _blockedNodes.Remove(nodeId);
        }
    }

    /// <summary>Cuts off every connection to or from <paramref name="endPoint"/> (e.g. a silo's listening endpoint), until unblocked.</summary>
    public void Block(EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        lock (_lock)
        {
            _blockedEndPoints.Add(endPoint);
        }

        CloseBlocked();
    }

    /// <summary>Lets connections to <paramref name="endPoint"/> be made again.</summary>
    public void Unblock(EndPoint endPoint)
    {
        lock (_lock)
        {
            _blockedEndPoints.Remove(endPoint);
        }
    }

    /// <summary>Lifts every block.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _blockedNodes.Clear();
            _blockedEndPoints.Clear();
        }
    }

    /// <summary>True while connections to or from <paramref name="endPoint"/> are blocked.</summary>
    public bool IsBlocked(EndPoint? endPoint)
    {
        if (endPoint is null)
        {
            return false;
        }

        lock (_lock)
        {
            return _blockedEndPoints.Contains(endPoint);
        }
    }

    /// <summary>True while the node is blocked.</summary>
    public bool IsNodeBlocked(string? nodeId)
    {
        if (nodeId is null)
        {
            return false;
        }

        lock (_lock)
        {
            return _blockedNodes.Contains(nodeId);
        }
    }

    /// <summary>True when either end of the connection is blocked.</summary>
    public bool IsBlocked(FrameConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return IsBlocked(connection.LocalEndPoint)
            || IsBlocked(connection.RemoteEndPoint)
            || IsNodeBlocked(connection.LocalHello.NodeId)
            || IsNodeBlocked(connection.RemoteHello.NodeId);
    }

    /// <summary>Tracks a connection that finished its handshake; false (and the connection is aborted) when it is blocked.</summary>
    internal bool Admit(FrameConnection connection)
    {
        _live[connection] = 0;
        if (IsBlocked(connection))
        {
            connection.Abort($"blocked by fault injection ({connection.LocalHello.NodeId} ↔ {connection.RemoteHello.NodeId})");
            return false;
        }

        return true;
    }

    internal void Forget(FrameConnection connection) => _live.TryRemove(connection, out _);

    private void CloseBlocked()
    {
        foreach (FrameConnection connection in _live.Keys)
        {
            if (IsBlocked(connection))
            {
                connection.Abort($"blocked by fault injection ({connection.LocalHello.NodeId} ↔ {connection.RemoteHello.NodeId})");
            }
        }
    }
}
