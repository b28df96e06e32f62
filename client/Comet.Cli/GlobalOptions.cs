using System.CommandLine;
using Comet.Abstractions.Keys;
using Comet.Client;

namespace Comet.Cli;

/// <summary>The options every <c>comet</c> command accepts (recursive on the root command).</summary>
internal sealed class GlobalOptions
{
    /// <summary>Environment variable naming the gateway(s) when no --gateway is given (comma-separated).</summary>
    public const string GatewayVariable = "COMET_GATEWAY";

    /// <summary>Environment variable holding the API key when no --api-key is given.</summary>
    public const string ApiKeyVariable = "COMET_API_KEY";

    /// <summary>The gateway used when neither --gateway nor COMET_GATEWAY names one (Orleans's gateway port).</summary>
    public const string DefaultGateway = "127.0.0.1:30000";

    public Option<string[]> Gateway { get; } = new("--gateway", "-g")
    {
        Description = $"A silo gateway as host:port; repeat for more. Default: ${GatewayVariable}, else {DefaultGateway}",
        HelpName = "host:port",
        Recursive = true,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = $"The namespace's API key (ck_...). Default: ${ApiKeyVariable}; none: anonymous (dev mode on loopback only)",
        HelpName = "key",
        Recursive = true,
    };

    public Option<string?> Namespace { get; } = new("--ns")
    {
        Description = "Application namespace. Default: default",
        HelpName = "namespace",
        Recursive = true,
    };

    public Option<int> Ttl { get; } = new("--ttl")
    {
        Description = "Lifetime of a put in seconds. Default: the namespace's",
        HelpName = "seconds",
        Recursive = true,
    };

    public Option<int> N { get; } = new("--n") { Description = "Replicas (N). Default: the namespace's (3)", Recursive = true };

    public Option<int> R { get; } = new("--r") { Description = "Replicas a get waits for (R). Default: the namespace's (2)", Recursive = true };

    public Option<int> W { get; } = new("--w") { Description = "Replicas a put or delete waits for (W). Default: the namespace's (2)", Recursive = true };

    public Option<string?> Context { get; } = new("--context")
    {
        Description = "Causal context from a previous get: the put or delete replaces exactly what that get saw (resolves siblings)",
        HelpName = "token",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        root.Add(Gateway);
        root.Add(ApiKey);
        root.Add(Namespace);
        root.Add(Ttl);
        root.Add(N);
        root.Add(R);
        root.Add(W);
        root.Add(Context);
    }

    /// <summary>The namespace the command works in (checked, so a bad one fails before any network).</summary>
    public string NamespaceOf(ParseResult parse)
    {
        var ns = parse.GetValue(Namespace) ?? "default";
        ObjectKey.ValidateNamespace(ns);
        return ns;
    }

    /// <summary>Checks a key before connecting: bad input fails at once, without a cluster.</summary>
    public void CheckKey(ParseResult parse, string key) => ObjectKey.Create(NamespaceOf(parse), key);

    public CometClientOptions ClientOptions(ParseResult parse, CliContext cli)
    {
        var gateways = parse.GetValue(Gateway) is { Length: > 0 } given
            ? given
            : cli.Environment(GatewayVariable) is { Length: > 0 } fromEnvironment
                ? fromEnvironment.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [DefaultGateway];
        return new CometClientOptions
        {
            Gateways = gateways,
            DefaultNamespace = NamespaceOf(parse),
            ApiKey = parse.GetValue(ApiKey) ?? (cli.Environment(ApiKeyVariable) is { Length: > 0 } key ? key : null),
            ViewRefreshPeriod = Timeout.InfiniteTimeSpan, // one command, one view
        };
    }

    public PutOptions PutOptionsOf(ParseResult parse, string? argsJson) => new()
    {
        Namespace = NamespaceOf(parse),
        TtlSeconds = Optional(parse, Ttl),
        N = Optional(parse, N),
        W = Optional(parse, W),
        Context = parse.GetValue(Context),
        ArgsJson = argsJson,
    };

    public GetOptions GetOptionsOf(ParseResult parse, string? version, string? argsJson) => new()
    {
        Namespace = NamespaceOf(parse),
        N = Optional(parse, N),
        R = Optional(parse, R),
        Version = version,
        ArgsJson = argsJson,
    };

    public DeleteOptions DeleteOptionsOf(ParseResult parse, string? argsJson) => new()
    {
        Namespace = NamespaceOf(parse),
        N = Optional(parse, N),
        W = Optional(parse, W),
        Context = parse.GetValue(Context),
        ArgsJson = argsJson,
    };

    /// <summary>An option's value, or null when the command line does not give it.</summary>
    private static int? Optional(ParseResult parse, Option<int> option) => parse.GetResult(option) is null ? null : parse.GetValue(option);

    /// <summary>The <c>--args</c> option of commands that run ASO handlers.</summary>
    public static Option<string?> ArgsOption() => new("--args")
    {
        Description = "A JSON object given to the ASO's handlers as caller.args, e.g. '{\"password\":\"s3cret\"}'",
        HelpName = "json",
    };
}
