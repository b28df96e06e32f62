using System.CommandLine;
using Comet.Abstractions.Errors;
using Comet.Client;

namespace Comet.Cli;

/// <summary>
/// Runs one command's body: connects a client when it asks for one, and turns every failure into
/// <c>error: &lt;Code&gt;: &lt;message&gt;</c> on stderr and the documented exit code (<see cref="ExitCodes"/>).
/// Shared by every command (and by <c>bench</c> when it is added).
/// </summary>
internal static class CliRunner
{
    public static async Task<int> RunAsync(CliContext cli, Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken).ConfigureAwait(false);
        }
        catch (CometException ex)
        {
            cli.WriteError(ex.Code.ToString(), ex.Message);
            return ExitCodes.Of(ex.Code);
        }
        catch (ArgumentException ex)
        {
            cli.WriteError(nameof(CometErrorCode.BadRequest), MessageOf(ex));
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cli.WriteError("Cancelled", "The command was cancelled.");
            return ExitCodes.Failure;
        }
        catch (IOException ex)
        {
            cli.WriteError("IOError", ex.Message);
            return ExitCodes.Failure;
        }
    }

    /// <summary>The message without the "(Parameter 'x')" suffix meant for programmers.</summary>
    private static string MessageOf(ArgumentException ex) =>
        ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);

    /// <summary>Connects to the cluster named by the global options.</summary>
    public static Task<CometClient> ConnectAsync(CliContext cli, ParseResult parse, GlobalOptions globals, CancellationToken cancellationToken) =>
        CometClient.ConnectAsync(globals.ClientOptions(parse, cli), cancellationToken);
}
