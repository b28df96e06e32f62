using Spectre.Console;

namespace Comet.Cli;

/// <summary>
/// Where one run of <c>comet</c> reads and writes: the process's streams, or in-process test doubles. Commands never
/// touch <see cref="Console"/> or the environment directly, so the whole CLI runs inside a test.
/// </summary>
internal sealed class CliContext
{
    public CliContext(TextWriter stdout, TextWriter stderr, Stream stdin, Func<string, string?> environment)
    {
        Out = stdout;
        Error = stderr;
        In = stdin;
        Environment = environment;
    }

    /// <summary>Results. A passive value is written raw when this is a <see cref="StreamWriter"/> (see <see cref="Output.RawOutput"/>).</summary>
    public TextWriter Out { get; }

    /// <summary>Errors (<c>error: &lt;Code&gt;: &lt;message&gt;</c>) and notes.</summary>
    public TextWriter Error { get; }

    /// <summary>Values given as <c>-</c>.</summary>
    public Stream In { get; }

    /// <summary>Reads an environment variable (COMET_GATEWAY).</summary>
    public Func<string, string?> Environment { get; }

    /// <summary>
    /// The width of the terminal <see cref="Out"/> writes to, or null when it goes to a pipe or a file: tables then have
    /// no borders and no colour, one row a line, for grep and awk.
    /// </summary>
    public int? TerminalWidth { get; init; }

    /// <summary>Where long work (<c>comet bench</c>) shows its progress: a console on the terminal's stderr, or null (no progress shown).</summary>
    public IAnsiConsole? Progress { get; init; }

    public void WriteError(string code, string message) => Error.WriteLine($"error: {code}: {message}");
}
