namespace Comet.Client;

/// <summary>Options of a get (<see cref="CometClient.GetAsync"/>, <see cref="CometClient.TryGetAsync"/>). Null fields take the namespace's settings.</summary>
public sealed record GetOptions
{
    /// <summary>Application namespace; null: <see cref="CometClientOptions.DefaultNamespace"/>.</summary>
    public string? Namespace { get; init; }

    /// <summary>Replicas the key is kept on (N), when it was put with a non-default N; null: the namespace's N.</summary>
    public int? N { get; init; }

    /// <summary>Replicas that must answer (R, at most N); null: the namespace's R.</summary>
    public int? R { get; init; }

    /// <summary>A kept version's id to read (from <see cref="CometClient.HistoryAsync"/> or a put result); null: the live version(s).</summary>
    public string? Version { get; init; }

    /// <summary>Any object, serialised to a JSON object (System.Text.Json, web defaults: camelCase) and given to the ASO's <c>onGet</c> as <c>caller.args</c>.</summary>
    public object? Args { get; init; }

    /// <summary>Handler arguments as raw JSON object text (instead of <see cref="Args"/>).</summary>
    public string? ArgsJson { get; init; }
}
