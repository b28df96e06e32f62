using System.IO.Pipelines;
using Comet.Abstractions.Wire;

namespace Comet.Abstractions.Tests.Wire;

/// <summary>Two ends of an in-process byte stream, and connected <see cref="FrameConnection"/> pairs over it.</summary>
internal static class PipePair
{
    public static (IDuplexPipe Client, IDuplexPipe Server) Create()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new Duplex(toClient.Reader, toServer.Writer), new Duplex(toServer.Reader, toClient.Writer));
    }

    public static async Task<(FrameConnection Client, FrameConnection Server)> ConnectAsync(
        IFrameRequestHandler? serverHandler,
        FrameConnectionOptions? options = null,
        IFrameRequestHandler? clientHandler = null)
    {
        (IDuplexPipe client, IDuplexPipe server) = Create();
        Task<FrameConnection> accepted = FrameConnection.AcceptAsync(server, new Hello(NodeRole.Silo, "server"), options, serverHandler);
        FrameConnection dialled = await FrameConnection.ConnectAsync(client, new Hello(NodeRole.Client, "client"), options, clientHandler);
        return (dialled, await accepted);
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
