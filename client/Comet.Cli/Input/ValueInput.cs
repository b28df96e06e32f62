using System.Text;
using Comet.Abstractions.Errors;

namespace Comet.Cli.Input;

/// <summary>Reads what a command stores: an argument, a file, or stdin (<c>-</c>). Unreadable input is bad input (exit 4).</summary>
internal static class ValueInput
{
    /// <summary>The name that means "read standard input".</summary>
    public const string Stdin = "-";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The value of <c>put</c>: the argument as UTF-8, the file's bytes, or stdin's bytes.</summary>
    public static async Task<byte[]> ReadValueAsync(CliContext cli, string? value, string? file, CancellationToken cancellationToken)
    {
        if (value is not null && file is not null)
            throw new CometException(CometErrorCode.BadRequest, "Give the value as an argument or with --file, not both.");
        if (file is not null) return await ReadBytesAsync(cli, file, cancellationToken).ConfigureAwait(false);
        if (value is null)
            throw new CometException(CometErrorCode.BadRequest, "Give a value: as an argument, with --file <path>, or '-' to read stdin.");
        if (value == Stdin) return await ReadBytesAsync(cli, Stdin, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetBytes(value);
    }

    /// <summary>Lua source from a file (or stdin with <c>-</c>); must be UTF-8 text.</summary>
    public static async Task<string> ReadSourceAsync(CliContext cli, string path, CancellationToken cancellationToken)
    {
        var bytes = await ReadBytesAsync(cli, path, cancellationToken).ConfigureAwait(false);
        try
        {
            var text = StrictUtf8.GetString(bytes);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException)
        {
            throw new CometException(CometErrorCode.BadCode, $"'{path}' is not UTF-8 text; an ASO is Lua source (bytecode is refused).");
        }
    }

    private static async Task<byte[]> ReadBytesAsync(CliContext cli, string path, CancellationToken cancellationToken)
    {
        if (path == Stdin)
        {
            using var buffer = new MemoryStream();
            await cli.In.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CometException(CometErrorCode.BadRequest, $"Cannot read '{path}': {ex.Message}");
        }
    }
}
