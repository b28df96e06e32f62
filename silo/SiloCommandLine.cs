using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Comet.Silo;

/// <summary>
/// The silo executable's command line, parsed with System.CommandLine. Every flag is a configuration key, so a flag,
/// an environment variable (<c>Comet__Silo__HttpPort</c>) and appsettings.json all set the same option (a flag wins);
/// any other key is given as <c>--Section:Key value</c>. A mistake stops the process with one line and exit code 2
/// before anything starts: a silo that ignored a misspelt flag would run with settings nobody asked for.
/// </summary>
public static class SiloCommandLine
{
    /// <summary>Exit code of a command line the silo cannot run with (unknown flag, bad port, unwritable data path).</summary>
    public const int UsageError = 2;

    /// <summary>Configuration key that <c>--log-requests</c> sets: ASP.NET Core's per-request logs.</summary>
    public const string RequestLogKey = "Logging:LogLevel:Microsoft.AspNetCore";

    /// <summary>Each flag and the configuration key it sets.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches = Flags().ToDictionary(f => f.Option.Name, f => f.Key, StringComparer.Ordinal);

    /// <summary>
    /// Log levels the silo starts from, below appsettings.json, the environment and the flags: lifecycle events
    /// (start, stop, membership changes, a silo declared dead) and warnings. Per-request logs are off: one line per
    /// HTTP request cost a fifth of the REST throughput. <c>--log-requests</c> (or <see cref="RequestLogKey"/>=Information)
    /// turns them on.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> DefaultLogLevels = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["Logging:LogLevel:Default"] = "Information",
        [RequestLogKey] = "Warning",
        // Each silo's web host would repeat "Application started", the environment and the content root; the silos
        // log their own start ("Silo silo-1 up: REST ...") and stop.
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        // Orleans explains every start-up step at Information; membership changes (a silo joining, declared dead)
        // are the lifecycle events worth a line.
        ["Logging:LogLevel:Orleans"] = "Warning",
        ["Logging:LogLevel:Orleans.Runtime.Silo"] = "Error",
        ["Logging:LogLevel:Orleans.Runtime.Watchdog"] = "Error",
        ["Logging:LogLevel:Orleans.Runtime.MembershipService.MembershipTableManager"] = "Information",
        ["Logging:LogLevel:Polly"] = "Error",
        ["Logging:LogLevel:Comet.Persistence"] = "Warning",
    };

    /// <summary>
    /// Parses <paramref name="args"/>. Help and version are written to <paramref name="output"/>, a mistake as one line
    /// to <paramref name="error"/>; either way the result carries the exit code and the silo must not start.
    /// </summary>
    public static SiloArguments Parse(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var flags = Flags();
        var root = new RootCommand(
            "comet-silo: runs CometGrains silos. Without --silo-id it starts a local cluster of 3 silos in this process " +
            "(dev mode) on ./data/comet.db, REST on http://127.0.0.1:8080; with --silo-id, one silo of a multi-process cluster.");
        foreach (var flag in flags) root.Add(flag.Option);
        foreach (var option in root.Options)
        {
            if (option is HelpOption { Action: HelpAction help } helpOption) helpOption.Action = new HelpWithConfiguration(help);
        }

        var configuration = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var known = root.Options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet(StringComparer.Ordinal);
        var rest = new List<string>(args.Count);
        if (TakeConfigurationKeys(args, known, configuration, rest) is { } keyError) return Fail(error, keyError);

        var parse = root.Parse(rest);
        if (parse.Action is { } action && (parse.Errors.Count == 0 || action is { ClearsParseErrors: true }))
        {
            // --help or --version: print, and start nothing.
            var exit = parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
            return new SiloArguments(exit, configuration);
        }
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            return Fail(error, token.StartsWith('-')
                ? $"unknown option '{token}'."
                : $"unexpected argument '{token}' (every value follows its option, e.g. --http-port 8080).");
        }
        if (parse.Errors.Count > 0) return Fail(error, parse.Errors[0].Message);

        foreach (var flag in flags)
        {
            // Only what the command line gave: a flag left out must not hide the environment's or appsettings.json's value.
            if (parse.GetResult(flag.Option) is null or { Implicit: true }) continue;
            configuration[flag.Key] = flag.Value(parse);
        }
        return new SiloArguments(null, configuration);
    }

    /// <summary>
    /// Moves <c>--Section:Key value</c> and <c>--Section:Key=value</c> (a configuration key without a flag of its own,
    /// as .NET's command-line configuration reads it) into <paramref name="configuration"/>; the rest go to the parser.
    /// </summary>
    private static string? TakeConfigurationKeys(IReadOnlyList<string> args, HashSet<string> known, Dictionary<string, string?> configuration, List<string> rest)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var name = arg.Split('=', 2)[0];
            var colon = name.IndexOf(':', StringComparison.Ordinal);
            // "--http-port:8080" is System.CommandLine's own "option:value" form, not a configuration key.
            if (!arg.StartsWith("--", StringComparison.Ordinal) || colon < 0 || known.Contains(name[..colon]))
            {
                rest.Add(arg);
                continue;
            }
            var key = name[2..];
            if (arg.Length > name.Length)
            {
                configuration[key] = arg[(name.Length + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                configuration[key] = args[++i];
            }
            else
            {
                return $"configuration key '{name}' needs a value: {name} <value> or {name}=<value>.";
            }
        }
        return null;
    }

    private static SiloArguments Fail(TextWriter error, string message)
    {
        error.WriteLine($"comet-silo: {message} Run 'comet-silo --help' for the options.");
        return new SiloArguments(UsageError, new Dictionary<string, string?>());
    }

    /// <summary>One flag: the option, the configuration key it sets, and the value it sets it to.</summary>
    private sealed record Flag(Option Option, string Key, Func<ParseResult, string?> Value);

    private static List<Flag> Flags() =>
    [
        Text("--silo-id", "Comet:Silo:SiloId", "id",
            "Run one silo with this id (keep it across restarts: its replicas are stored under it). Without it: a local cluster of --silos silos named silo-1, silo-2, ..."),
        Text("--host", "Comet:Silo:Host", "address", "Address other silos and clients use to reach this silo. Default 127.0.0.1"),
        Port("--silo-port", "Comet:Silo:SiloPort", "Silo-to-silo port (Orleans advertises it in the membership table, so it is a real port). Default 11111"),
        Port("--gateway-port", "Comet:Silo:GatewayPort", "Client gateway port for the SDK and the CLI (a real port, like the silo port). Default 30000"),
        Port("--http-port", "Comet:Silo:HttpPort", "REST gateway, admin API and dashboard. Default 8080; 0: any free port; -1: no HTTP", allowOff: true),
        Count("--partitions", "Comet:Silo:Partitions", "Ring partitions Q, a power of two that every silo of a cluster agrees on. Default 1024", powerOfTwo: true),
        DataPath(),
        Storage(),
        Text("--azure-connection-string", "Comet:Storage:AzureConnectionString", "text",
            "With --storage azure: a storage connection string (UseDevelopmentStorage=true for Azurite). Prefer --azure-table-endpoint with a managed identity"),
        Text("--azure-table-endpoint", "Comet:Storage:AzureTableEndpoint", "url",
            "With --storage azure: the table endpoint, e.g. https://myaccount.table.core.windows.net (managed identity, no keys)"),
        Text("--azure-identity-client-id", "Comet:Storage:AzureManagedIdentityClientId", "id",
            "With --azure-table-endpoint: client id of a user-assigned managed identity. Default: DefaultAzureCredential finds one"),
        Text("--azure-table-prefix", "Comet:Storage:AzureTableNamePrefix", "prefix", "With --storage azure: put in front of every table name, so clusters can share an account"),
        Count("--silos", "Comet:LocalCluster:Silos", "Silos of the local cluster in this process when no --silo-id is given; ports step by one per silo. Default 3"),
        Switch("--dev", "Comet:Silo:DevMode", "Dev mode: namespace 'default' is open to anonymous clients on loopback. Default true; --dev false for production"),
        Text("--admin-key", "Comet:Silo:Admin:Key", "key", "Key that guards /admin and /metrics (header X-Comet-Admin-Key or Authorization: Bearer). Default: none, dev mode on loopback only"),
        Text("--tls-certificate", "Comet:Silo:Security:CertificatePath", "file.pfx", "PKCS#12 cluster certificate with its private key: TLS between silos (each accepts only peers presenting it), on the SDK gateway and on HTTPS"),
        Text("--tls-certificate-password", "Comet:Silo:Security:CertificatePassword", "password", "Password of --tls-certificate"),
        RequestLog(),
    ];

    private static Flag Text(string name, string key, string helpName, string description)
    {
        var option = new Option<string>(name) { Description = Describe(description, key), HelpName = helpName };
        return new Flag(option, key, parse => parse.GetValue(option));
    }

    private static Flag Switch(string name, string key, string description)
    {
        var option = new Option<bool>(name) { Description = Describe(description, key), HelpName = "true|false" };
        return new Flag(option, key, parse => parse.GetValue(option) ? "true" : "false");
    }

    /// <summary>
    /// A port. HTTP (<paramref name="allowOff"/>) takes 0..65535 (0 lets the system pick a free one) or -1 (off); the
    /// silo and gateway ports take 1..65535, because Orleans publishes them to the other silos before it listens.
    /// </summary>
    private static Flag Port(string name, string key, string description, bool allowOff = false)
    {
        var option = new Option<int>(name)
        {
            Description = Describe(description, key),
            HelpName = "port",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                var lowest = allowOff ? 0 : 1;
                if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) && ((port >= lowest && port <= 65535) || (allowOff && port == -1)))
                    return port;
                result.AddError(allowOff
                    ? $"{name} '{text}' is not a port: give a number from 0 to 65535 (0: any free port, -1: no HTTP)."
                    : $"{name} '{text}' is not a port: give a number from 1 to 65535 (the other silos dial it, so it cannot be picked at random).");
                return 0;
            },
        };
        return new Flag(option, key, parse => parse.GetValue(option).ToString(CultureInfo.InvariantCulture));
    }

    private static Flag Count(string name, string key, string description, bool powerOfTwo = false)
    {
        var option = new Option<int>(name)
        {
            Description = Describe(description, key),
            HelpName = "count",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) && count >= 1 && (!powerOfTwo || (count & (count - 1)) == 0))
                    return count;
                result.AddError(powerOfTwo
                    ? $"{name} '{text}' is not a power of two: give 1, 2, 4, ... (default 1024)."
                    : $"{name} '{text}' is not a count: give a whole number of at least 1.");
                return 0;
            },
        };
        return new Flag(option, key, parse => parse.GetValue(option).ToString(CultureInfo.InvariantCulture));
    }

    private static Flag Storage()
    {
        string[] providers = ["sqlite", "azure", "memory"];
        var option = new Option<string>("--storage")
        {
            Description = Describe("sqlite (embedded, the default), azure (Azure Table storage) or memory (nothing survives a restart)", "Comet:Storage:Provider"),
            HelpName = "sqlite|azure|memory",
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!providers.Contains(value, StringComparer.OrdinalIgnoreCase))
                result.AddError($"--storage '{value}' is not a storage provider: give sqlite, azure or memory.");
        });
        return new Flag(option, "Comet:Storage:Provider", parse => parse.GetValue(option));
    }

    /// <summary>
    /// <c>--data</c>: the SQLite file. Its directory is created and written to now, so a path the silo cannot use fails
    /// here with what to fix instead of as a storage exception after the host started.
    /// </summary>
    private static Flag DataPath()
    {
        var option = new Option<string>("--data")
        {
            Description = Describe("The SQLite database file, shared by every silo of this machine's cluster. Default data/comet.db", "Comet:Storage:SqlitePath"),
            HelpName = "file.db",
        };
        option.Validators.Add(result =>
        {
            if (CheckDataPath(result.GetValueOrDefault<string>()) is { } problem) result.AddError(problem);
        });
        return new Flag(option, "Comet:Storage:SqlitePath", parse => parse.GetValue(option));
    }

    /// <summary>Why the silo could not keep its database at <paramref name="path"/>, or null when it can.</summary>
    internal static string? CheckDataPath(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return "--data needs a file path, e.g. --data data/comet.db.";
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"--data '{path}' is not a file path ({ex.Message}).";
        }
        if (Directory.Exists(full)) return $"--data '{path}' is a directory: give the database file inside it, e.g. {Path.Combine(path, "comet.db")}.";
        var directory = Path.GetDirectoryName(full) ?? full;
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".comet-write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return $"--data '{path}': cannot create or write the directory '{directory}' ({ex.Message.TrimEnd('.')}); choose a directory this user can write.";
        }
    }

    private static Flag RequestLog()
    {
        var option = new Option<bool>("--log-requests")
        {
            Description = Describe("Log every HTTP request (ASP.NET Core's request logs; off by default: they cost throughput)", RequestLogKey + "=Information"),
            HelpName = "true|false",
        };
        return new Flag(option, RequestLogKey, parse => parse.GetValue(option) ? "Information" : "Warning");
    }

    private static string Describe(string description, string key) => $"{description} [{key}]";

    /// <summary>The default help, plus how flags relate to environment variables and appsettings.json.</summary>
    private sealed class HelpWithConfiguration : SynchronousCommandLineAction
    {
        private readonly HelpAction _help;

        public HelpWithConfiguration(HelpAction help) => _help = help;

        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var result = _help.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Configuration:");
            output.WriteLine("  Each option sets the configuration key in [brackets]. The environment (Comet__Silo__HttpPort=8081) and");
            output.WriteLine("  appsettings.json ({\"Comet\":{\"Silo\":{\"HttpPort\":8081}}}) set the same keys; a flag wins.");
            output.WriteLine("  Keys without a flag: --Section:Key <value>, e.g. --Comet:Silo:AntiEntropyPeriod 00:00:10.");
            output.WriteLine("  Logs: lifecycle and warnings by default; --log-requests or Logging__LogLevel__Default=Debug for more.");
            output.WriteLine();
            output.WriteLine("Exit codes: 0 stopped cleanly, 2 bad command line (nothing was started), 1 failed while running.");
            output.WriteLine();
            return result;
        }
    }
}

/// <summary>
/// A parsed silo command line: <see cref="ExitCode"/> set means stop now (help, version or a mistake, already printed);
/// otherwise <see cref="Configuration"/> holds the keys the flags set, to lay over appsettings.json and the environment.
/// </summary>
public sealed record SiloArguments(int? ExitCode, IReadOnlyDictionary<string, string?> Configuration)
{
    public bool ShouldStart => ExitCode is null;

    /// <summary>
    /// The host builder the silo runs in. Its configuration, lowest first: <see cref="SiloCommandLine.DefaultLogLevels"/>,
    /// appsettings.json, the environment, then the flags.
    /// </summary>
    public HostApplicationBuilder CreateHostBuilder()
    {
        var defaults = new ConfigurationManager();
        defaults.AddInMemoryCollection(SiloCommandLine.DefaultLogLevels);
        // appsettings.json is read at start, not watched: the watcher on the working directory fired on every write
        // of the local cluster's SQLite file under ./data (bench/README.md, "Where the time goes").
        defaults.AddInMemoryCollection([new("hostBuilder:reloadConfigOnChange", "false")]);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Configuration = defaults });
        builder.Configuration.AddInMemoryCollection(Configuration);
        return builder;
    }
}
