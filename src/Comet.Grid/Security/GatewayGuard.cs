using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Comet.Abstractions.Errors;
using Comet.Abstractions.Protocol;
using Comet.Abstractions.Wire;

namespace Comet.Grid.Security;

/// <summary>
/// Stands in front of the request handler on the client gateway port: every client operation (put, get, delete,
/// history) is authorized for its namespace, counted against the client's and the object's rate, and a put against
/// the client's fair share of storage, before the operation runs; a refusal answers that request and changes
/// nothing. Silo-role connections (whose Hello proved the cluster secret) and other opcodes pass through unchanged.
/// </summary>
public sealed class GatewayGuard : IFrameRequestHandler
{
    private readonly IFrameRequestHandler _inner;
    private readonly SiloSecurity _security;
    private readonly ConditionalWeakTable<FrameConnection, CallerCredentials> _callers = new();
    private readonly ConditionalWeakTable<FrameConnection, CallerCredentials>.CreateValueCallback _resolve;

    public GatewayGuard(IFrameRequestHandler inner, SiloSecurity security)
    {
        _inner = inner;
        _security = security;
        _resolve = Resolve;
    }

    public ValueTask HandleAsync(IncomingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Connection.RemoteHello.Role != NodeRole.Client || !IsClientOperation(request.Opcode))
            return _inner.HandleAsync(request);
        if (!TryPeek(request, out var ns, out var key, out var bytes, out var ttl))
            return _inner.HandleAsync(request); // malformed: the handler answers MalformedFrame as before
        try
        {
            var caller = _callers.GetValue(request.Connection, _resolve);
            _security.Admit(caller, ns, key);
            if (request.Opcode == (ushort)Opcode.Put) _security.AdmitPut(caller, bytes, ttl);
        }
        catch (CometException ex)
        {
            return request.RespondErrorAsync(ex.Code, ex.Message);
        }
        return _inner.HandleAsync(request);
    }

    private CallerCredentials Resolve(FrameConnection connection) =>
        _security.CredentialsOf(connection.RemoteHello).At((connection.RemoteEndPoint as IPEndPoint)?.Address);

    private static bool IsClientOperation(ushort opcode) =>
        opcode is (ushort)Opcode.Put or (ushort)Opcode.Get or (ushort)Opcode.Delete or (ushort)Opcode.History;

    /// <summary>Reads what admission needs without decoding the whole request: namespace, key, and a put's size and lifetime.</summary>
    private static bool TryPeek(IncomingRequest request, out string ns, out string key, out long bytes, out int? ttl)
    {
        ns = key = "";
        bytes = 0;
        ttl = null;
        try
        {
            var r = new PayloadReader(request.Payload.Span);
            ns = r.ReadString();
            key = r.ReadString();
            if (request.Opcode != (ushort)Opcode.Put) return true;
            r.ReadByte();
            bytes = Encoding.UTF8.GetByteCount(key) + (long)r.ReadBytesSpan().Length;
            var codeLength = r.ReadNullableString()?.Length ?? 0;
            bytes += codeLength;
            r.ReadNullableString();
            var seconds = r.ReadLength(int.MaxValue);
            ttl = seconds == 0 ? null : seconds;
            return true;
        }
        catch (CometException)
        {
            return false;
        }
    }
}
