using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Comet.Cli;
using Comet.Client.Tests.Cluster;
using Spectre.Console;

namespace Comet.Client.Tests.Cli;

/// <summary>The command line against three real silos, in-process.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CliClusterTests
{
    private readonly ClusterFixture _fixture;

    public CliClusterTests(ClusterFixture fixture) => _fixture = fixture;

    private Task<CliRun> Comet(params string[] args) => CliRun.RunAsync([.. args, "--gateway", _fixture.Gateway]);

    private Task<CliRun> CometWithStdin(string stdin, params string[] args) => CliRun.RunAsync([.. args, "--gateway", _fixture.Gateway], stdin);

    private static void AssertOk(CliRun run)
    {
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Equal("", run.Stderr);
    }

    [Fact]
    public async Task Put_then_get_prints_the_value_exactly()
    {
        var key = ClusterFixture.NewKey();

        var put = await Comet("put", key, "hello from the cli");
        var get = await Comet("get", key);

        AssertOk(put);
        Assert.Matches(@"(?m)^version   \S+:\d+$", put.Stdout);
        Assert.Contains("created   yes", put.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^context   \S+$", put.Stdout);
        AssertOk(get);
        Assert.Equal("hello from the cli", get.Stdout);
    }

    [Fact]
    public async Task Put_reads_the_value_from_stdin_with_a_dash_and_from_a_file()
    {
        var fromStdin = ClusterFixture.NewKey();
        var fromFile = ClusterFixture.NewKey();
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, "file contents\n");

            AssertOk(await CometWithStdin("piped\nvalue", "put", fromStdin, "-"));
            AssertOk(await Comet("put", fromFile, "--file", path));

            Assert.Equal("piped\nvalue", (await Comet("get", fromStdin)).Stdout);
            Assert.Equal("file contents\n", (await Comet("get", fromFile)).Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Get_writes_binary_values_byte_for_byte_to_a_stream()
    {
        var key = ClusterFixture.NewKey();
        var bytes = new byte[] { 0xff, 0x00, 0xfe, 0x80, 0x0a };
        await _fixture.Client.PutAsync(key, bytes);
        using var output = new MemoryStream();
        var stdout = new StreamWriter(output, new UTF8Encoding(false));
        await using (stdout)
        {
            using var stderr = new StringWriter();
            var exit = await CliApp.RunAsync(["get", key, "--gateway", _fixture.Gateway], stdout, stderr, Stream.Null, _ => null);

            Assert.Equal(ExitCodes.Ok, exit);
            Assert.Equal(bytes, output.ToArray());
        }
    }

    [Fact]
    public async Task Aso_stores_lua_and_get_prints_its_onGet_answer_as_json()
    {
        var key = ClusterFixture.NewKey("aso");
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, """
                aso.value = "Hello world!"
                function aso:onGet(caller)
                  return { self.value, caller.args and caller.args.who or "nobody" }
                end
                """);

            var put = await Comet("aso", key, path);
            var plain = await Comet("get", key);
            var withArgs = await Comet("get", key, "--args", """{"who":"cli"}""");

            AssertOk(put);
            AssertOk(plain);
            Assert.Equal("""["Hello world!","nobody"]""", plain.Stdout.Trim());
            Assert.Equal("""["Hello world!","cli"]""", withArgs.Stdout.Trim());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Get_json_shows_versions_kinds_and_context()
    {
        var key = ClusterFixture.NewKey();
        await Comet("put", key, "v1");

        var run = await Comet("get", key, "--json");

        AssertOk(run);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal(key, json.RootElement.GetProperty("key").GetString());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("context").GetString()));
        var version = Assert.Single(json.RootElement.GetProperty("versions").EnumerateArray());
        Assert.Equal("value", version.GetProperty("kind").GetString());
        Assert.Equal("v1", version.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Get_version_reads_a_kept_version()
    {
        var key = ClusterFixture.NewKey();
        var first = await _fixture.Client.PutAsync(key, "old");
        await _fixture.Client.PutAsync(key, "new");

        var run = await Comet("get", key, "--version", first.Version);

        AssertOk(run);
        Assert.Equal("old", run.Stdout);
    }

    [Fact]
    public async Task Del_then_get_exits_2_not_found()
    {
        var key = ClusterFixture.NewKey();
        await Comet("put", key, "bye");

        var del = await Comet("del", key);
        var get = await Comet("get", key);

        AssertOk(del);
        Assert.Contains($"deleted   {key}", del.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotFound, get.ExitCode);
        Assert.StartsWith("error: NotFound: ", get.Stderr, StringComparison.Ordinal);
        Assert.Equal("", get.Stdout);
    }

    [Fact]
    public async Task History_prints_a_table_and_json_newest_first_with_metadata_only()
    {
        var key = ClusterFixture.NewKey();
        await Comet("put", key, "first");
        await Comet("put", key, "second!");

        var table = await Comet("history", key);
        var json = await Comet("history", key, "--json");

        AssertOk(table);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("VERSION", lines[0], StringComparison.Ordinal);
        // History shows versions' metadata, never their data: the sizes tell the two writes apart.
        Assert.Contains("(7 bytes)", lines[1], StringComparison.Ordinal);
        Assert.Contains("yes", lines[1], StringComparison.Ordinal);
        Assert.Contains("(5 bytes)", lines[2], StringComparison.Ordinal);
        Assert.DoesNotContain("second!", table.Stdout, StringComparison.Ordinal);
        AssertOk(json);
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.Equal([7, 5], document.RootElement.EnumerateArray().Take(2).Select(e => e.GetProperty("size").GetInt32()).ToArray());
        Assert.All(document.RootElement.EnumerateArray(), e => Assert.False(e.TryGetProperty("value", out _)));
    }

    [Fact]
    public async Task Cluster_lists_every_silo_with_host_ports_and_status()
    {
        var run = await Comet("cluster");

        AssertOk(run);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+HOST\s+GATEWAY\s+HTTP\s+STATUS$", lines[0]);
        Assert.Equal(4, lines.Length);
        foreach (var silo in _fixture.Cluster.Silos)
            Assert.Contains(lines, l => l.StartsWith(silo.Id + " ", StringComparison.Ordinal) && l.Contains($" {silo.GatewayPort} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_a_terminal_tables_have_borders_and_the_same_rows()
    {
        var key = ClusterFixture.NewKey();
        await Comet("put", key, "[not markup]");

        var cluster = await CliRun.RunOnTerminalAsync(["cluster", "--gateway", _fixture.Gateway], terminalWidth: 120);
        var history = await CliRun.RunOnTerminalAsync(["history", key, "--gateway", _fixture.Gateway], terminalWidth: 120);

        AssertOk(cluster);
        var text = Regex.Replace(cluster.Stdout, "\u001b\\[[0-9;]*m", ""); // the headers are bold
        Assert.Contains("╭", text, StringComparison.Ordinal);
        Assert.Matches(@"│ ID\s+│ HOST\s+│ GATEWAY\s+│ HTTP\s+│ STATUS\s+│", text);
        foreach (var silo in _fixture.Cluster.Silos) Assert.Matches($@"│ {silo.Id}\s+│ .*│ {silo.GatewayPort}\s+│", text);
        AssertOk(history);
        Assert.Matches(@"│ \S+:\d+\s+│ value\s+│ yes\s+│", Regex.Replace(history.Stdout, "\u001b\\[[0-9;]*m", ""));
        Assert.Contains("(12 bytes)", history.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_loads_then_runs_and_reports_each_phase()
    {
        var table = await Comet("bench", "--keys", "20", "--ops", "200", "--concurrency", "4");
        var json = await Comet("bench", "--keys", "10", "--ops", "50", "--reads", "50", "--json");

        AssertOk(table);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^PHASE\s+OPS\s+ERRORS\s+SECONDS\s+OPS/S\s+P50 MS\s+P99 MS\s+MAX MS$", lines[0]);
        Assert.Matches(@"^load\s+20\s+0\s", lines[1]);
        Assert.Matches(@"^run\s+200\s+0\s", lines[2]);
        AssertOk(json);
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.Equal(50, document.RootElement.GetProperty("readPercent").GetInt32());
        var phases = document.RootElement.GetProperty("phases").EnumerateArray().ToArray();
        Assert.Equal(["load", "run"], phases.Select(p => p.GetProperty("phase").GetString()!).ToArray());
        Assert.Equal([10, 50], phases.Select(p => p.GetProperty("operations").GetInt32()).ToArray());
        Assert.All(phases, p => Assert.Equal(0, p.GetProperty("errors").GetInt32()));
        Assert.All(phases, p => Assert.True(p.GetProperty("opsPerSecond").GetDouble() > 0));
    }

    [Fact]
    public async Task Bench_shows_its_progress_on_the_terminal()
    {
        using var progressOutput = new StringWriter();
        var progress = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(progressOutput),
            Ansi = AnsiSupport.Yes,
            Interactive = InteractionSupport.Yes,
        });

        var run = await CliRun.RunOnTerminalAsync(["bench", "--keys", "10", "--ops", "100", "--gateway", _fixture.Gateway], terminalWidth: 120, progress);

        AssertOk(run);
        Assert.Contains("load 10 keys", progressOutput.ToString(), StringComparison.Ordinal);
        Assert.Contains("run 100 ops", progressOutput.ToString(), StringComparison.Ordinal);
        Assert.Contains("100%", progressOutput.ToString(), StringComparison.Ordinal);
        Assert.Contains("│ run ", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_that_fails_operations_reports_them_and_exits_with_their_code()
    {
        var run = await Comet("bench", "--keys", "5", "--value-bytes", "2000000", "--max-errors", "3", "--concurrency", "1");

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.StartsWith("error: TooLarge: 3 of 3 operations failed (stopped at --max-errors): 3 TooLarge.", run.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^load\s+3\s+3\s", run.Stdout);
    }

    [Fact]
    public async Task Siblings_print_as_a_json_list_and_a_put_with_the_context_resolves_them()
    {
        var key = ClusterFixture.NewKey("cart");
        await Comet("put", key, "base");
        var context = JsonDocument.Parse((await Comet("get", key, "--json")).Stdout).RootElement.GetProperty("context").GetString()!;
        AssertOk(await Comet("put", key, "left", "--context", context));
        AssertOk(await Comet("put", key, "right", "--context", context));

        var siblings = await Comet("get", key);

        Assert.Equal(ExitCodes.Ok, siblings.ExitCode);
        using var list = JsonDocument.Parse(siblings.Stdout);
        Assert.Equal(["left", "right"], list.RootElement.EnumerateArray().Select(v => v.GetProperty("value").GetString()!).Order().ToArray());
        Assert.Contains("--context ", siblings.Stderr, StringComparison.Ordinal);
        var merged = siblings.Stderr[(siblings.Stderr.IndexOf("--context ", StringComparison.Ordinal) + "--context ".Length)..].Trim();

        AssertOk(await Comet("put", key, "left+right", "--context", merged));
        Assert.Equal("left+right", (await Comet("get", key)).Stdout);
    }

    [Fact]
    public async Task An_object_that_refuses_an_update_exits_3()
    {
        var key = ClusterFixture.NewKey("sealed");
        await _fixture.Client.PutAsoAsync(key, "aso.value = 1\nfunction aso:onUpdate(caller, incoming) return false end");

        var run = await Comet("put", key, "overwrite");

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.StartsWith("error: Rejected: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lua_that_does_not_compile_exits_4()
    {
        var run = await CometWithStdin("function (", "aso", ClusterFixture.NewKey(), "-");

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.StartsWith("error: BadCode: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quorum_options_are_passed_and_checked()
    {
        var key = ClusterFixture.NewKey();

        var single = await Comet("put", key, "one", "--n", "1", "--w", "1");
        var tooMany = await Comet("put", key, "two", "--n", "1", "--w", "2");
        var read = await Comet("get", key, "--n", "1", "--r", "1");

        AssertOk(single);
        Assert.Contains("replicas  1", single.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, tooMany.ExitCode);
        Assert.StartsWith("error: BadRequest: ", tooMany.Stderr, StringComparison.Ordinal);
        Assert.Equal("one", read.Stdout);
    }

    [Fact]
    public async Task Ttl_is_passed_to_the_put()
    {
        var key = ClusterFixture.NewKey();

        AssertOk(await Comet("put", key, "brief", "--ttl", "600"));
        var run = await Comet("get", key, "--json");

        using var json = JsonDocument.Parse(run.Stdout);
        var expires = json.RootElement.GetProperty("versions")[0].GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddSeconds(60), DateTimeOffset.UtcNow.AddSeconds(700));
    }
}
