using System.Text;

namespace Comet.Cli.Output;

/// <summary>Writes a passive value's bytes exactly: straight to the stream under a <see cref="StreamWriter"/> (the real stdout), as UTF-8 text to any other writer (tests).</summary>
internal static class RawOutput
{
    public static async Task WriteAsync(TextWriter output, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (output is StreamWriter { BaseStream: { CanWrite: true } stream } writer)
        {
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        await output.WriteAsync(Encoding.UTF8.GetString(bytes.Span).AsMemory(), cancellationToken).ConfigureAwait(false);
    }
}
