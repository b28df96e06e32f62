using Spectre.Console;
using Spectre.Console.Rendering;

namespace Comet.Cli.Output;

/// <summary>
/// A table of the CLI (<c>cluster</c>, <c>history</c>, <c>bench</c>) drawn by Spectre.Console: with rounded borders and bold
/// headers on a terminal; on a pipe or in a file, plain columns (no borders, no colour, no wrapping, no trailing blanks),
/// one row a line, so scripts can grep and awk them.
/// </summary>
internal sealed class TableOutput
{
    private readonly Table _table = new();

    public TableOutput(params string[] headers)
    {
        foreach (var header in headers) _table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
    }

    /// <summary>Right-aligns the columns that hold numbers.</summary>
    public TableOutput RightAlign(params int[] columns)
    {
        foreach (var column in columns) _table.Columns[column].RightAligned();
        return this;
    }

    public void Add(params string[] cells)
    {
        if (cells.Length != _table.Columns.Count) throw new ArgumentException($"A row needs {_table.Columns.Count} cells.", nameof(cells));
        // Text, not markup: values may hold '[' (JSON) and must show as they are.
        var row = new IRenderable[cells.Length];
        for (var c = 0; c < cells.Length; c++) row[c] = new Text(cells[c]);
        _table.AddRow(row);
    }

    public void WriteTo(CliContext cli)
    {
        if (cli.TerminalWidth is { } width)
        {
            _table.Border(TableBorder.Rounded);
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(cli.Out),
                Ansi = AnsiSupport.Yes,
                ColorSystem = ColorSystemSupport.Detect,
                Interactive = InteractionSupport.No,
            });
            console.Profile.Width = width;
            console.Write(_table);
            return;
        }
        _table.Border(TableBorder.None);
        for (var c = 0; c < _table.Columns.Count; c++) _table.Columns[c].Padding(0, 0, c == _table.Columns.Count - 1 ? 0 : 2, 0);
        using var text = new StringWriter();
        var plain = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        plain.Profile.Width = 100_000; // never wrap a row
        plain.Write(_table);
        foreach (var line in text.ToString().Split('\n'))
        {
            var trimmed = line.TrimEnd();
            if (trimmed.Length > 0) cli.Out.WriteLine(trimmed);
        }
    }
}
